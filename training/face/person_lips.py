"""An experiment for issue 17's SSIM: how well a network that knows one person predicts that
person's real lip gap, against voxrig's generic clip. The renderer's SSIM follows its lip r
(docs/RENDER_CARD.md), and the generic clip follows GRID s1's real lips at r 0.78, so this
measures what a per-face lip model would give the template before anything is built.

    OMP_NUM_THREADS=1 .venv/bin/python -m training.face.person_lips --inputs clip \\
        --minutes 4 --seeds 0 1 2

Inputs: `audio` (the clip's log-mel, 100 Hz), `clip` (the lip gap of voxrig's default bake of
the audio, as `voxrig render` bakes it: any voice, and an edited clip, would still drive it)
or `both`. Target: FaceMesh's inner-lip gap of the person's tracked frames
(bench/data/grid_s1_lips.npz, 25 fps), standardised over the training clips. Trained on the
720 clips the renderer may train on; scored as the renderer is, by Pearson r per clip on its
80 validation clips, then the mean. A dilated 1-D convolution stack (96 channels, receptive
field 0.4 s), MSE, AdamW 2e-3, batches of 16 clips, one thread, a wall-clock budget per seed.
GRID s1 is CC BY 4.0 (attribution in docs/RENDER_CARD.md)."""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from bench import grid
from bench.render_quality import clip_lip_gap, pearson, renderer_validation
from bench.results import REPO
from voxrig.core import mel as melspec
from voxrig.core.audio import load_audio

LIPS = REPO / "bench" / "data" / "grid_s1_lips.npz"
GENERIC = REPO / "build" / "face" / "person-lips-generic.npz"
WIDTH = 96
DILATIONS = (1, 2, 4, 8, 1)
BATCH = 16
MEL_PER_FRAME = 4  # 100 Hz features, 25 fps video
FRAMES = 75  # a GRID clip's video frames


def generic_gaps(ids: list[str]) -> dict[str, np.ndarray]:
    """The lip gap of voxrig's default bake of every clip, cached (about 10 min the first time)."""
    if GENERIC.exists():
        with np.load(GENERIC) as z:
            return {c: z[c] for c in ids}
    gaps = {}
    for k, clip_id in enumerate(ids):
        gaps[clip_id] = clip_lip_gap(load_audio(grid.extract_audio(clip_id)).samples)
        if k % 100 == 0:
            print(f"baked {k}/{len(ids)}", file=sys.stderr, flush=True)
    GENERIC.parent.mkdir(parents=True, exist_ok=True)
    np.savez(GENERIC, **gaps)
    return gaps


def features(ids: list[str], inputs: str, train: list[str]) -> dict[str, np.ndarray]:
    """(channels, 100 Hz frames) per clip, each channel standardised over the training clips."""
    mels = {c: melspec.log_mel(load_audio(grid.extract_audio(c)).samples) for c in ids}
    out = {c: np.zeros((0, len(m)), np.float32) for c, m in mels.items()}
    if inputs in ("audio", "both"):
        stacked = np.concatenate([mels[c] for c in train])
        mean, std = stacked.mean(axis=0), stacked.std(axis=0) + 1e-3
        out = {c: ((m - mean) / std).T.astype(np.float32) for c, m in mels.items()}
    if inputs in ("clip", "both"):
        gaps = generic_gaps(ids)
        stacked = np.concatenate([gaps[c] for c in train])
        mean, std = stacked.mean(), stacked.std()
        for c, m in mels.items():  # the 25 fps clip read at 100 Hz
            g = np.interp(np.arange(len(m)) / MEL_PER_FRAME, np.arange(len(gaps[c])), gaps[c])
            out[c] = np.concatenate([out[c], ((g - mean) / std)[None].astype(np.float32)])
    return out


def network(channels: int):  # noqa: ANN201 - a torch module
    import torch

    layers = [torch.nn.Conv1d(channels, WIDTH, 5, padding=2), torch.nn.GELU()]
    for d in DILATIONS:
        layers += [torch.nn.Conv1d(WIDTH, WIDTH, 3, padding=d, dilation=d), torch.nn.GELU()]
    return torch.nn.Sequential(*layers, torch.nn.Conv1d(WIDTH, 1, 1))


def train_and_score(x: dict[str, np.ndarray], y: dict[str, np.ndarray], train: list[str],
                    validation: list[str], seed: int, minutes: float) -> dict:  # fmt: skip
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    known = np.concatenate([y[c][np.isfinite(y[c])] for c in train])
    mean, std = known.mean(), known.std()
    net = network(next(iter(x.values())).shape[0])
    opt = torch.optim.AdamW(net.parameters(), 2e-3, weight_decay=1e-3)
    frames = np.arange(FRAMES) * MEL_PER_FRAME
    t0, steps = time.perf_counter(), 0
    while time.perf_counter() - t0 < minutes * 60:
        batch = [train[i] for i in rng.integers(0, len(train), BATCH)]
        length = min(x[c].shape[1] for c in batch)
        out = net(torch.from_numpy(np.stack([x[c][:, :length] for c in batch])))[:, 0]
        loss = torch.zeros(())
        for j, c in enumerate(batch):
            ok = np.isfinite(y[c]) & (frames < length)
            target = torch.from_numpy(((y[c][ok] - mean) / std).astype(np.float32))
            loss = loss + torch.mean((out[j, torch.from_numpy(frames[ok])] - target) ** 2)
        opt.zero_grad()
        (loss / BATCH).backward()
        opt.step()
        steps += 1
    with torch.no_grad():
        rs = [pearson(net(torch.from_numpy(x[c][None]))[0, 0].numpy()
                      [np.minimum(frames, x[c].shape[1] - 1)], y[c]) for c in validation]
    return {"seed": seed, "steps": steps, "r": round(float(np.nanmean(rs)), 4),
            "median_r": round(float(np.nanmedian(rs)), 4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", choices=("audio", "clip", "both"), default="clip")
    parser.add_argument("--minutes", type=float, default=4.0, help="training budget per seed")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    with np.load(LIPS, allow_pickle=True) as z:
        ids = [str(i) for i in z["ids"]]
        y = {c: g.astype(np.float32) for c, g in zip(ids, z["gap"], strict=True)}
    validation = renderer_validation()
    train = [c for c in ids if c not in set(validation)]
    x = features(ids, args.inputs, train)
    if args.inputs == "clip":  # the generic clip itself, for scale
        generic = generic_gaps(ids)
        alone = [pearson(generic[c][:FRAMES], y[c][:len(generic[c][:FRAMES])]) for c in validation]
        print(f"voxrig's clip alone: r {np.nanmean(alone):.4f}")
    for seed in args.seeds:
        print(f"{args.inputs}: {train_and_score(x, y, train, validation, seed, args.minutes)}",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
