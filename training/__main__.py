"""The whole recipe, start to finish, with the time each step took:

    python -m training [--minutes 55] [--ablation-minutes 20] [--seed 0]

corpus (synthetic speech) -> features (+ augmentation, FACEGOOD, LJSpeech, non-speech) ->
train -> fine-tune with non-speech sounds at rest (5 % of crops, lower learning rate) ->
export to core/assets/neural/voxrig-a2f.onnx (checked) -> ablation (with and without the
mouth-shape memory, same shorter budget, trained side by side on one core each) ->
evaluation of all three with the bench's metrics -> build/training/recipe.json."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

BUILD = Path("build/training")


def step(name: str, *args: str, log: dict) -> None:
    t0 = time.perf_counter()
    print(f"[recipe] {name}: python -m {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, "-m", *args], check=True)
    log[name] = round((time.perf_counter() - t0) / 60, 1)
    print(f"[recipe] {name} took {log[name]} min", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=55.0)
    parser.add_argument("--finetune-minutes", type=float, default=10.0)
    parser.add_argument("--ablation-minutes", type=float, default=20.0)
    parser.add_argument("--seed", type=str, default="0")
    args = parser.parse_args()
    minutes: dict[str, float] = {}
    step("corpus", "training.corpus", "--out", str(BUILD / "corpus"), "--minutes", "230",
         "--seed", args.seed, log=minutes)
    step("features", "training.features", "--corpus", str(BUILD / "corpus"), "--out",
         str(BUILD / "features"), log=minutes)
    step("train", "training.train", "--minutes", str(args.minutes), "--seed", args.seed,
         "--out", str(BUILD / "run"), log=minutes)
    step("finetune", "training.train", "--init", str(BUILD / "run" / "model.pt"), "--minutes",
         str(args.finetune_minutes), "--seed", args.seed, "--lr", "5e-4", "--non-speech",
         "0.05", "--facegood", "0.1", "--ema", "0.998", "--out", str(BUILD / "finetune"),
         log=minutes)
    step("export", "training.export", str(BUILD / "finetune" / "model.pt"), log=minutes)
    t0 = time.perf_counter()
    runs = {"memory": "48", "no-memory": "0"}
    jobs = [subprocess.Popen([sys.executable, "-m", "training.train", "--minutes",
                              str(args.ablation_minutes), "--seed", args.seed, "--threads", "1",
                              "--prototypes", k, "--out", str(BUILD / f"ablation-{name}")])
            for name, k in runs.items()]
    if any(job.wait() for job in jobs):
        return 1
    minutes["ablation"] = round((time.perf_counter() - t0) / 60, 1)
    step("evaluate", "training.evaluate", str(BUILD / "run" / "model.pt"),
         str(BUILD / "finetune" / "model.pt"),
         *(str(BUILD / f"ablation-{name}" / "model.pt") for name in runs), log=minutes)
    minutes["total"] = round(sum(minutes.values()), 1)
    (BUILD / "recipe.json").write_text(json.dumps({"seed": args.seed, "minutes": minutes},
                                                  indent=1))
    print(json.dumps(minutes), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
