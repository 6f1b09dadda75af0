"""The mouth generator (issue 17, seed S0): a small CPU U-Net that draws the person's 96x96
mouth crop from (the current frame's crop with its lower face masked, a reference crop of the
same person, the template image of the target lips) as a change to the reference crop. L1 +
an image-gradient L1; the sync and GAN losses of S0 come later.

    .venv/bin/python -m training.face.driven          # the clips' own audio, baked (2 min)
    nice -n 5 .venv/bin/python -m training.face.generator --minutes 30 --seed 0

Trains on clips outside the renderer's validation split, one thread, for a wall-clock budget.
The templates are drawn from voxrig's bake of each clip's own audio (training/face/driven.py),
what `voxrig render` feeds the generator, not from the tracked lips. Writes
build/face/generator/mouth.onnx and .pt, and training/results/render-generator-driven-<date>.json
(the recipe and the loss curve)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from bench.face_tracks import LANDMARKS, load_landmarks
from bench.results import REPO, git_sha, stamped, write_results
from training.face.crops import CROPS
from training.face.driven import load_driven, training_pool
from voxrig.core.face_canvas import neutral_frames
from voxrig.core.face_render import (
    IN_CHANNELS,
    MASK_ROW,
    Placement,
    clip_mouth_points,
    model_inputs,
    mouth_template,
)

OUT = REPO / "build" / "face" / "generator"
RESULTS = REPO / "training" / "results"
WIDTHS = (16, 32, 48, 64)  # at 96, 48, 24, 12 pixels
BATCH = 16
LEARNING_RATE = 1e-3
LEAK = 0.1
GRADIENT_WEIGHT = 1.0
TRAIN_CLIPS = 400  # of the 720 (memory and load time; a 30-min budget sees ~10k samples)
REFERENCE = slice(3, 6)  # the reference crop's channels in the input
MOUTH_ROWS, MOUTH_COLUMNS = slice(16, 60), slice(20, 76)  # lips and jaw in the crop
MOUTH_WEIGHT = 4.0


def _block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    # leaky: a run with plain ReLUs (lr 2e-3) died at the start and drew the still mouth
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.LeakyReLU(LEAK, inplace=True),
                         nn.Conv2d(cout, cout, 3, 1, 1), nn.LeakyReLU(LEAK, inplace=True))


class MouthUNet(nn.Module):
    """Encoder of strided 3x3 blocks, nearest-upsampling decoder with skip connections; the
    output is the reference crop plus the drawn change (most of the lower face is the
    reference's already, so training starts from the still mouth, not from grey)."""

    def __init__(self, widths: tuple[int, ...] = WIDTHS) -> None:
        super().__init__()
        self.down = nn.ModuleList([_block(IN_CHANNELS, widths[0])] + [
            _block(a, b, 2) for a, b in zip(widths[:-1], widths[1:], strict=True)])
        self.up = nn.ModuleList([_block(b + a, a) for a, b in
                                 zip(widths[:-1], widths[1:], strict=True)][::-1])
        self.head = nn.Conv2d(widths[0], 3, 1)
        nn.init.zeros_(self.head.weight)  # the first output is the reference crop itself
        nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        reference = x[:, REFERENCE]
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
        x = skips.pop()
        for block in self.up:
            skip = skips.pop()
            x = block(torch.cat([nn.functional.interpolate(x, scale_factor=2.0), skip], 1))
        return torch.clamp(reference + self.head(x), 0.0, 1.0)


def load_training(clip_ids: list[str], place: Placement, keypoints: dict[str, np.ndarray]
                  ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:  # fmt: skip
    """Mouth crops (T, 96, 96, 3) of the given clips' tracked frames, for each frame the clip's
    baked mouth points on the canvas (T, 9) complex, and each clip's closed-mouth frames (the
    references: render's reference is the person's closed-mouth crop)."""
    ids, landmarks = load_landmarks(LANDMARKS)
    index = {c: k for k, c in enumerate(ids)}
    crops, mouths, closed = [], [], []
    for clip_id in clip_ids:
        with np.load(CROPS / f"{clip_id}.npz") as z:
            mouth = z["mouth"]
        points = clip_mouth_points(keypoints[clip_id], place)
        n = min(len(mouth), len(points))
        keep = np.isfinite(landmarks[index[clip_id], :n]).all(axis=(1, 2))
        if keep.sum() < 2:
            continue
        crops.append(mouth[:n][keep])
        mouths.append(points[:n][keep])
        closed.append(neutral_frames(landmarks[index[clip_id], :n][keep]))
    return crops, mouths, closed


def sample_batch(rng: np.random.Generator, crops: list[np.ndarray], mouths: list[np.ndarray],
                 closed: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of (input, target): random frames, each with one of its own clip's closed-mouth
    frames, never itself, as the reference (so the reference's mouth never tells the answer)."""
    clips = rng.integers(len(crops), size=BATCH)
    pairs = []
    for c in clips:
        k = int(rng.integers(len(crops[c])))
        others = closed[c][closed[c] != k]
        pairs.append((c, (k, int(rng.choice(others)) if others.size else (k + 1) % len(crops[c]))))
    target = np.stack([crops[c][k] for c, (k, _) in pairs])
    reference = np.stack([crops[c][r] for c, (_, r) in pairs])
    lips = np.stack([mouth_template(mouths[c][k]) for c, (k, _) in pairs])
    x = model_inputs(target, reference, lips)
    y = target.astype(np.float32).transpose(0, 3, 1, 2) / 255
    return torch.from_numpy(x), torch.from_numpy(np.ascontiguousarray(y))


def mouth_weights() -> torch.Tensor:
    """(1, 1, 96, 96) pixel weights of the L1: MOUTH_WEIGHT around the lips and jaw, 1 elsewhere
    (the mouth is a twentieth of the crop; unweighted, its loss drowns in the cheeks')."""
    w = torch.ones(1, 1, 96, 96)
    w[..., MOUTH_ROWS, MOUTH_COLUMNS] = MOUTH_WEIGHT
    return w / w.mean()


def loss_terms(out: torch.Tensor, target: torch.Tensor,
               weights: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Weighted L1 on the pixels and L1 on their horizontal and vertical differences."""
    l1 = ((out - target).abs() * weights).mean()
    dx = lambda v: v[..., :, 1:] - v[..., :, :-1]  # noqa: E731
    dy = lambda v: v[..., 1:, :] - v[..., :-1, :]  # noqa: E731
    grad = (dx(out) - dx(target)).abs().mean() + (dy(out) - dy(target)).abs().mean()
    return l1, grad


def train(minutes: float, seed: int, out: Path = OUT, threads: int = 1,
          clips: int = TRAIN_CLIPS) -> dict:
    """Train for a wall-clock budget (cosine learning rate over it) on `threads` threads."""
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    place, keypoints = load_driven()
    pool = sorted(set(training_pool(load_landmarks(LANDMARKS)[0])) & set(keypoints))
    chosen = sorted(rng.choice(pool, min(clips, len(pool)), replace=False).tolist())
    t0 = time.perf_counter()
    crops, mouths, closed = load_training(chosen, place, keypoints)
    weights = mouth_weights()
    load_s = time.perf_counter() - t0
    model = MouthUNet()
    opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    budget, start, step, curve = minutes * 60, time.perf_counter(), 0, []
    running = None
    while (elapsed := time.perf_counter() - start) < budget:
        for group in opt.param_groups:
            group["lr"] = LEARNING_RATE * 0.5 * (1 + np.cos(np.pi * elapsed / budget))
        x, y = sample_batch(rng, crops, mouths, closed)
        l1, grad = loss_terms(model(x), y, weights)
        still = loss_terms(x[:, REFERENCE], y, weights)[0].item()  # the reference as the answer
        opt.zero_grad()
        (l1 + GRADIENT_WEIGHT * grad).backward()
        opt.step()
        step += 1
        ratio = l1.item() / still
        running = ratio if running is None else 0.98 * running + 0.02 * ratio
        if step % 50 == 0:
            curve.append({"step": step, "seconds": round(elapsed),
                          "l1_vs_still": round(running, 4)})
            print(f"step {step} {elapsed:.0f}s l1/still {running:.4f}", flush=True)
    out.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), out / "mouth.pt")
    export(model, out / "mouth.onnx")
    return {"seed": seed, "minutes": minutes, "driven_by": "voxrig's bake of each clip's audio",
            "ict_a": [place.a.real, place.a.imag], "ict_t": [place.t.real, place.t.imag],
            "steps": step, "batch": BATCH, "threads": threads,
            "train_clips": len(crops), "frames": int(sum(len(c) for c in crops)),
            "load_seconds": round(load_s, 1), "widths": list(WIDTHS), "mask_row": MASK_ROW,
            "learning_rate": LEARNING_RATE, "gradient_weight": GRADIENT_WEIGHT,
            "mouth_weight": MOUTH_WEIGHT, "reference": "a closed-mouth frame of the clip",
            "parameters": sum(p.numel() for p in model.parameters()),
            "onnx_bytes": (out / "mouth.onnx").stat().st_size, "curve": curve}


def export(model: nn.Module, path: Path) -> None:
    """ONNX with a dynamic batch axis, so the renderer can draw several frames per call."""
    model.eval()
    dummy = torch.zeros(1, IN_CHANNELS, 96, 96)
    torch.onnx.export(model, (dummy,), str(path), input_names=["x"], output_names=["mouth"],
                      dynamic_axes={"x": {0: "n"}, "mouth": {0: "n"}}, opset_version=17,
                      dynamo=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--clips", type=int, default=TRAIN_CLIPS,
                        help=f"training clips drawn from the 720 (default {TRAIN_CLIPS})")
    parser.add_argument("-o", "--output", type=Path, default=OUT, help="folder of the model")
    parser.add_argument("--no-results", action="store_true", help="a trial: no results file")
    args = parser.parse_args(argv)
    summary = train(args.minutes, args.seed, args.output, args.threads, args.clips)
    if args.no_results:
        print({k: v for k, v in summary.items() if k != "curve"})
        return 0
    sha = git_sha()
    write_results(RESULTS / f"render-generator-driven-{dt.date.today().isoformat()}.json",
                  stamped(sha, **summary))
    print({k: v for k, v in summary.items() if k != "curve"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
