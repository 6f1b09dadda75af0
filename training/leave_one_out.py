"""Leave-one-out on FACEGOOD: each of the five dev clips scored by a model that was trained
without it, by the shipped recipe (train from scratch, fine-tune, export), so the Mandarin
number says how the model does on a recording session it has not heard.

    python -m training.leave_one_out [--clips 1114_1_03 ...] [--jobs 2] \\
        [--reuse 1114_2_05=core/assets/neural/voxrig-a2f.onnx]

`--reuse CLIP=ONNX` scores a model that was already trained without CLIP instead of training
one (the shipped model is the fold of the acceptance clip 1114_2_05: the recipe never trains
on it). Each fold is scored model alone (the network's mouth channels at 100 Hz, as
training.evaluate does) beside a loudness-driven jaw, with the bench's FACEGOOD metrics.
Writes build/training/leave-one-out/results-seed<seed>.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from voxrig.core.config import ANALYSIS_RATE

BUILD = Path("build/training")
OUT = BUILD / "leave-one-out"
# The shipped recipe's steps (training/__main__.py), with the fold's clip held out.
TRAIN = ("--steps", "4000", "--threads", "1", "--prototypes", "0")
FINETUNE = ("--steps", "1100", "--threads", "1", "--lr", "5e-4", "--non-speech", "0.05",
            "--facegood", "0.1", "--ema", "0.998")


def run_fold(clip: str, seed: str, features: Path) -> Path:
    """Train, fine-tune and export the model that never saw `clip`; returns its ONNX path."""
    fold = OUT / clip
    fold.mkdir(parents=True, exist_ok=True)
    onnx = fold / "voxrig-a2f.onnx"
    if onnx.exists():
        return onnx
    common = ("--seed", seed, "--held-out", clip, "--features", str(features))
    with open(fold / "log.txt", "a") as log:
        for args in (("training.train", *TRAIN, *common, "--out", str(fold / "train")),
                     ("training.train", "--init", str(fold / "train" / "model.pt"), *FINETUNE,
                      *common, "--out", str(fold / "finetune")),
                     ("training.export", str(fold / "finetune" / "model.pt"), "-o", str(onnx))):
            subprocess.run([sys.executable, "-m", *args], check=True, stdout=log, stderr=log)
    return onnx


def score(clip_name: str, onnx: Path) -> dict[str, float]:
    """The fold model's r_gap & co. on its held-out clip, and the loudness jaw's."""
    from bench import metrics
    from bench.datasets import facegood_clips
    from bench.grid import loudness_jaw
    from voxrig.core.audio import load_audio
    from voxrig.core.neural import NeuralEngine

    clip = next(c for c in facegood_clips() if c.name == clip_name)
    samples = load_audio(clip.audio).samples
    weights, _ = NeuralEngine(onnx).predict(samples)
    model = metrics.facegood_metrics(np.clip(weights, 0, 1), 100.0, clip.weights, clip.fps)
    jaw, fps = loudness_jaw(samples, ANALYSIS_RATE)
    loud = metrics.facegood_metrics(jaw, fps, clip.weights, clip.fps)
    return {"r_gap": round(model.r_gap, 4), "r_width": round(model.r_width, 4),
            "lve": round(model.lve, 3), "loudness_r_gap": round(loud.r_gap, 4),
            "over_loudness": round(model.r_gap - loud.r_gap, 4)}


def main() -> int:
    from bench.datasets import facegood_clips

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", nargs="*", default=None, help="folds (default: all five)")
    parser.add_argument("--seed", default="0")
    parser.add_argument("--jobs", type=int, default=2, help="folds trained at once (1 core each)")
    parser.add_argument("--features", type=Path, default=BUILD / "features")
    parser.add_argument("--reuse", action="append", default=[], metavar="CLIP=ONNX",
                        help="score this model for the fold of CLIP instead of training one")
    args = parser.parse_args()
    clips = args.clips or [c.name for c in facegood_clips()]
    reused = dict(item.split("=", 1) for item in args.reuse)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        models = dict(zip(clips, pool.map(
            lambda c: Path(reused[c]) if c in reused else run_fold(c, args.seed, args.features),
            clips), strict=True))
    folds = {clip: {**score(clip, onnx), "model": str(onnx), "reused": clip in reused}
             for clip, onnx in models.items()}
    for clip, row in folds.items():
        print(clip, json.dumps(row), flush=True)
    mean = {k: round(float(np.mean([f[k] for f in folds.values()])), 4)
            for k in ("r_gap", "loudness_r_gap", "over_loudness")}
    summary = {"seed": args.seed, "folds": folds, "mean": mean,
               "worst_over_loudness": min(f["over_loudness"] for f in folds.values()),
               "minutes": round((time.perf_counter() - t0) / 60, 1)}
    print(json.dumps({"mean": mean, "worst_over_loudness": summary["worst_over_loudness"]}))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"results-seed{args.seed}.json").write_text(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
