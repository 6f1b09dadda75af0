"""The mouth-shape memory of seed S1 (issue 17), first half: k-means prototypes of the
person's lower-face crops, and a small audio network that predicts, from 360 ms of sound
centred on a frame (9 frames, at least 5x the frame as S1 asks), softmax weights over them.
The weighted prototypes are a "memory mouth": what this person's mouth looks like when
making this sound (teeth, tongue, lip texture), which the lip template alone does not say.

    .venv/bin/python -m training.face.memory --minutes 10 --seed 0

Measured on the renderer's 80 validation clips (never trained on): top-1 / top-5 accuracy of
the predicted prototype, and the L1 of the memory mouth against the real crop on the lips and
jaw, next to the still mouth's (the clip's closed-mouth reference) and the best prototype's
(the memory's ceiling). Fusing the memory mouth into the generator (its input channels) and
the ablation with and without it are the second half. Writes build/face/memory/ and
training/results/render-memory-<date>.json."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from bench.face_tracks import CLIPS, LANDMARKS, load_landmarks
from bench.render_quality import read_audio
from bench.results import REPO, git_sha, stamped, write_results
from bench.sync_judge import MEL_PER_FRAME
from training.face.crops import CROPS
from training.face.driven import load_split
from voxrig.core.face_canvas import neutral_frames
from voxrig.core.face_memory import CONTEXT_MEL, MouthMemory, sound_context, sound_frames

OUT = REPO / "build" / "face" / "memory"
RESULTS = REPO / "training" / "results"
PROTOTYPES = 32  # k-means clusters of lower-face codes
CODE_SIZE = 24  # crops are shrunk to 24x24 before PCA (the shapes, not the pores)
PCA_DIMS = 32
FPS = 25.0  # GRID's video
LOWER_FACE_ROW = 20  # crop rows from here down: below the nose base
MOUTH_ROWS, MOUTH_COLUMNS = slice(16, 60), slice(20, 76)  # the generator's mouth weighting box
BATCH = 64
LEARNING_RATE = 1e-3
KMEANS_ITERATIONS = 30


def lower_face(crops: np.ndarray) -> np.ndarray:
    """(T, 96, 96, 3) uint8 -> (T, D) float32 codes of the lower face (rows from LOWER_FACE_ROW),
    shrunk by block means to CODE_SIZE across."""
    lower = crops[:, LOWER_FACE_ROW:].astype(np.float32) / 255
    rows = (96 - LOWER_FACE_ROW) // (96 // CODE_SIZE) * (96 // CODE_SIZE)
    block = 96 // CODE_SIZE
    lower = lower[:, :rows]
    t, h, w, c = lower.shape
    small = lower.reshape(t, h // block, block, w // block, block, c).mean(axis=(2, 4))
    return small.reshape(t, -1)


def kmeans(x: np.ndarray, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Centres (k, D) and labels (N,) by Lloyd's iterations from a k-means++ start."""
    centres = [x[rng.integers(len(x))]]
    for _ in range(1, k):
        d = np.min([((x - c) ** 2).sum(axis=1) for c in centres], axis=0)
        centres.append(x[rng.choice(len(x), p=d / d.sum())])
    c = np.stack(centres)
    for _ in range(KMEANS_ITERATIONS):
        labels = np.argmin(((x[:, None] - c[None]) ** 2).sum(axis=2), axis=1)
        for j in range(k):
            if np.any(labels == j):
                c[j] = x[labels == j].mean(axis=0)
    labels = np.argmin(((x[:, None] - c[None]) ** 2).sum(axis=2), axis=1)
    return c, labels


class SoundToMemory(nn.Module):
    """(B, 1, N_MELS, CONTEXT_MEL) log-mel -> (B, PROTOTYPES) logits."""

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = 1
        for cout, stride in ((32, (2, 1)), (64, (2, 2)), (96, (2, 2)), (128, (2, 2))):
            layers += [nn.Conv2d(cin, cout, 3, stride, 1), nn.BatchNorm2d(cout), nn.ReLU()]
            cin = cout
        self.net = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                 nn.Linear(cin, PROTOTYPES))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def load(clip_ids: list[str]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]]:
    """(mouth crops, sound frames, tracked frame indices, closed-mouth frames, clip id) of each
    tracked clip."""
    ids, landmarks = load_landmarks(LANDMARKS)
    index = {c: k for k, c in enumerate(ids)}
    out = []
    for clip_id in clip_ids:
        with np.load(CROPS / f"{clip_id}.npz") as z:
            mouth = z["mouth"]
        lm = landmarks[index[clip_id], :len(mouth)]
        keep = np.isfinite(lm).all(axis=(1, 2))
        if keep.sum() < CONTEXT_MEL // MEL_PER_FRAME:
            continue
        sound = sound_frames(read_audio(CLIPS / f"{clip_id}.mp4"))
        frames = np.flatnonzero(keep)
        frames = frames[frames * MEL_PER_FRAME < len(sound)]
        out.append((mouth, sound, frames, neutral_frames(lm[keep]), clip_id))
    return out


def prototypes_of(clips: list, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The memory's prototypes: PCA of the lower-face codes of every training frame, k-means
    on them, each cluster's mean crop."""
    codes = np.concatenate([lower_face(c[0][c[2]]) for c in clips])
    mean = codes.mean(axis=0)
    _, _, vt = np.linalg.svd(codes[rng.choice(len(codes), min(len(codes), 20000),
                                               replace=False)] - mean, full_matrices=False)
    basis = vt[:PCA_DIMS]
    sample = rng.choice(len(codes), min(len(codes), 30000), replace=False)
    centres, _ = kmeans((codes[sample] - mean) @ basis.T, PROTOTYPES, rng)
    found = {"centres": centres, "mean": mean, "basis": basis}
    sums = np.zeros((PROTOTYPES, 96, 96, 3))
    counts = np.zeros(PROTOTYPES)
    for c in clips:
        crops = c[0][c[2]]
        label = assign(found, crops)
        for j in range(PROTOTYPES):
            sums[j] += crops[label == j].astype(np.float64).sum(axis=0)
            counts[j] += np.count_nonzero(label == j)
    found["prototypes"] = (sums / np.maximum(counts, 1)[:, None, None, None]).astype(np.float32)
    return found


def assign(found: dict[str, np.ndarray], crops: np.ndarray) -> np.ndarray:
    """The nearest prototype of each crop (T, 96, 96, 3), by its lower-face code."""
    code = (lower_face(crops) - found["mean"]) @ found["basis"].T
    return np.argmin(((code[:, None] - found["centres"][None]) ** 2).sum(axis=2), axis=1)


def train(minutes: float, seed: int, out: Path = OUT, threads: int = 1, fold: int | None = None,
          folds: int = 2, prototypes_from: Path | None = None) -> dict:
    """The prototypes (or those of `prototypes_from`, so several networks weigh the same
    mouths) and the sound network, trained on every training clip or, with `fold`, on all but
    every folds-th of them (those clips' memory mouths are then predicted without having been
    learnt from, as at render time: the generator's training needs that; see generator.py)."""
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    clips, validation, load_s = load_split(load)
    if prototypes_from is not None:
        with np.load(prototypes_from / "prototypes.npz") as z:
            found = {k: z[k] for k in z.files}
    else:
        found = prototypes_of(clips, rng)
    prototypes = found["prototypes"]
    labels = [assign(found, c[0][c[2]]) for c in clips]
    if fold is not None:
        kept = [k for k in range(len(clips)) if k % folds != fold]
        clips, labels = [clips[k] for k in kept], [labels[k] for k in kept]
    # the sound -> weights network
    model = SoundToMemory()
    opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = nn.CrossEntropyLoss()
    budget, start, step, curve, running = minutes * 60, time.perf_counter(), 0, [], None
    while (elapsed := time.perf_counter() - start) < budget:
        model.train()
        for group in opt.param_groups:
            group["lr"] = LEARNING_RATE * 0.5 * (1 + np.cos(np.pi * elapsed / budget))
        picks = rng.integers(len(clips), size=BATCH)
        x, y = [], []
        for c in picks:
            _, sound, frames, _, _ = clips[c]
            i = int(rng.integers(len(frames)))
            x.append(sound_context(sound, int(frames[i]), FPS))
            y.append(int(labels[c][i]))
        loss = loss_fn(model(torch.from_numpy(np.stack(x))), torch.tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if step % 100 == 0:
            curve.append({"step": step, "seconds": round(elapsed), "loss": round(running, 4)})
            print(f"step {step} {elapsed:.0f}s loss {running:.4f}", flush=True)
    scores = judge(model, validation, lambda crops: assign(found, crops), prototypes)
    out.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), out / "sound_to_memory.pt")
    np.savez(out / "prototypes.npz", **found)
    (out / "clips.json").write_text(json.dumps([c[4] for c in clips]))
    return {"seed": seed, "minutes": minutes, "threads": threads, "steps": step,
            "fold": None if fold is None else f"{fold}/{folds}",
            "prototypes_from": str(prototypes_from.relative_to(REPO)) if prototypes_from
            else None,
            "prototypes": PROTOTYPES, "context_mel_frames": CONTEXT_MEL, "train_clips": len(clips),
            "train_frames": int(sum(len(c[2]) for c in clips)), "load_seconds": round(load_s, 1),
            "cluster_sizes": np.bincount(np.concatenate(labels), minlength=PROTOTYPES).tolist(),
            "parameters": sum(p.numel() for p in model.parameters()),
            "validation": scores, "curve": curve}


def sound_network(folder: Path) -> SoundToMemory:
    """The trained sound network of train's folder, in eval mode."""
    model = SoundToMemory()
    model.load_state_dict(torch.load(folder / "sound_to_memory.pt", weights_only=True))
    return model.eval()


def open_memory(folder: Path = OUT) -> MouthMemory:
    """A trained memory (train's folder) as the renderer uses it, its network run by torch."""
    model = sound_network(folder)
    with np.load(folder / "prototypes.npz") as z:
        prototypes = np.clip(np.rint(z["prototypes"]), 0, 255).astype(np.uint8)

    @torch.no_grad()
    def network(x: np.ndarray) -> np.ndarray:
        return model(torch.from_numpy(x)).numpy()

    return MouthMemory(network, prototypes)


def export_memory(folder: Path) -> bytes:
    """The sound network as ONNX (dynamic batch), what a .voxface carries."""
    buffer = io.BytesIO()
    torch.onnx.export(sound_network(folder), (torch.zeros(1, 1, 80, CONTEXT_MEL),), buffer,
                      input_names=["sound"], output_names=["logits"],
                      dynamic_axes={"sound": {0: "n"}, "logits": {0: "n"}}, opset_version=17,
                      dynamo=False)
    return buffer.getvalue()


@torch.no_grad()
def judge(model: SoundToMemory, clips: list, assign, prototypes: np.ndarray) -> dict:  # noqa: ANN001
    """Top-1/top-5 accuracy and mouth-box L1 (0-255) of the memory mouth, the still mouth
    and the best prototype, over every validation frame."""
    model.eval()
    box = (slice(None), MOUTH_ROWS, MOUTH_COLUMNS)
    top1 = top5 = n = 0
    l1 = {"memory": 0.0, "still": 0.0, "best_prototype": 0.0}
    for mouth, sound, frames, closed, _ in clips:
        x = torch.from_numpy(np.stack([sound_context(sound, int(k), FPS) for k in frames]))
        weights = torch.softmax(model(x), dim=1).numpy()
        truth = assign(mouth[frames])
        order = np.argsort(-weights, axis=1)
        top1 += int(np.sum(order[:, 0] == truth))
        top5 += int(np.sum((order[:, :5] == truth[:, None]).any(axis=1)))
        real = mouth[frames].astype(np.float32)
        memory = np.einsum("tk,khwc->thwc", weights, prototypes)
        still = mouth[frames[min(int(closed[0]), len(frames) - 1)]].astype(np.float32)[None]
        l1["memory"] += float(np.abs(memory - real)[box].mean(axis=(1, 2, 3)).sum())
        l1["still"] += float(np.abs(still - real)[box].mean(axis=(1, 2, 3)).sum())
        l1["best_prototype"] += float(np.abs(prototypes[truth] - real)[box].mean(
            axis=(1, 2, 3)).sum())
        n += len(frames)
    return {"frames": n, "top1": round(top1 / n, 4), "top5": round(top5 / n, 4),
            "chance_top1": round(1 / PROTOTYPES, 4),
            "mouth_l1": {k: round(v / n, 3) for k, v in l1.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--fold", type=int, default=None,
                        help="train the sound network on all training clips but this fold's")
    parser.add_argument("--folds", type=int, default=2)
    parser.add_argument("--prototypes", type=Path, default=None,
                        help="use this memory folder's prototypes instead of making new ones")
    parser.add_argument("-o", "--output", type=Path, default=OUT)
    parser.add_argument("--no-results", action="store_true", help="a trial: no results file")
    args = parser.parse_args(argv)
    summary = train(args.minutes, args.seed, args.output, args.threads, args.fold, args.folds,
                    args.prototypes.resolve() if args.prototypes else None)
    print({k: v for k, v in summary.items() if k not in ("curve", "cluster_sizes")})
    if not args.no_results:
        fold = "" if args.fold is None else f"-fold{args.fold}of{args.folds}"
        write_results(RESULTS / f"render-memory{fold}-{dt.date.today().isoformat()}.json",
                      stamped(git_sha(), **summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
