"""The mouth generator (issue 17, seed S0): a small CPU U-Net that draws the person's 96x96
mouth crop from (the current frame's crop with its lower face masked, a reference crop of the
same person, the template image of the target lips) as a change to the reference crop. L1 +
an image-gradient L1; the sync and GAN losses of S0 come later.

    .venv/bin/python -m training.face.driven          # the clips' own audio, baked (2 min)
    nice -n 5 .venv/bin/python -m training.face.generator --minutes 30 --seed 0

The model, its losses, batches and export are voxrig.core.face_train's (what `voxrig
train-face` trains too). Trains on clips outside the renderer's validation split, one
thread, for a wall-clock budget.
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
from voxrig.core import face_train
from voxrig.core.face_canvas import neutral_frames
from voxrig.core.face_render import MASK_ROW, Placement, clip_mouth_points
from voxrig.core.face_train import (  # noqa: F401 (the recipe's names, for its importers)
    BATCH,
    GRADIENT_WEIGHT,
    LEAK,
    LEARNING_RATE,
    MOUTH_COLUMNS,
    MOUTH_ROWS,
    MOUTH_WEIGHT,
    REFERENCE,
    WIDTHS,
    MouthUNet,
    loss_terms,
    mouth_weights,
    sample_batch,
)

OUT = REPO / "build" / "face" / "generator"
RESULTS = REPO / "training" / "results"
TRAIN_CLIPS = 400  # of the 720 (memory and load time; a 30-min budget sees ~10k samples)


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
    """ONNX with a dynamic batch axis (voxrig.core.face_train.export), to a file."""
    face_train.export(model, str(path))


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
