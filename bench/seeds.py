"""`python -m bench.seeds MODEL.onnx ...`: the seed spread of the neural engine without a
transcript, so a change is judged against the noise of training (issue 14).

Each model (the same recipe trained with another `--seed`, exported by training/export.py;
the shipped one by default) bakes, with the heard phones off and on:
- the held-out English voices of bench/unseen.py (multilingual/mfa, labels transferred from
  espeak-ng by DTW), pooled event;
- the four phone-tier clips in every audio degradation of bench/degrade.py, the mean over
  the degradations of each one's pooled event (bench/unseen.py's "mean degraded").

Prints each model's numbers and the mean and range over the models; results go to
bench/seeds_results/<date>-<sha>.json."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from voxrig.core import neural
from voxrig.core.audio import load_audio
from voxrig.core.bake import bake
from voxrig.core.config import Config

from . import datasets, degrade, metrics, multilingual

RESULTS_DIR = Path(__file__).parent / "seeds_results"


def held_out_items() -> list[tuple[str, Path, list]]:
    """(group, audio, reference phones) of the held-out English voices."""
    items = []
    for clip in multilingual.multilingual_clips():
        if clip.language == "en" and clip.transcript:
            samples = load_audio(clip.audio).samples
            phones = multilingual.transfer_phones(samples, clip.transcript, "en").phones
            items.append(("held-out", clip.audio, phones))
    return items


def degraded_items() -> list[tuple[str, Path, list]]:
    """(condition, audio, reference phones) of the phone-tier clips in every degradation."""
    clips = datasets.english_phone_clips()
    base = {c.name: degrade.from_clip(c) for c in clips}
    items = []
    for condition in degrade.DEGRADED:
        if not condition.audio_changed:
            continue
        for clip in clips:
            speech = degrade.degrade(base[clip.name], condition, degrade.SEED)
            items.append((condition.name, degrade.cached(speech, condition), speech.phones))
    return items


def mean_event(items: list[tuple[str, Path, list]], config: Config) -> float:
    """The mean over groups of each group's pooled event score."""
    counts: dict[str, list] = {}
    for group, audio, phones in items:
        baked = bake(audio, None, config)
        counts.setdefault(group, []).append(
            metrics.event_counts(metrics.arkit_weights(baked), baked.fps, phones))
    return float(np.mean([metrics.event_score(c).event for c in counts.values()]))


def score_model(path: Path, held: list, degraded: list) -> dict:
    neural.MODEL_PATH = path  # the model every bake of this process loads
    out = {}
    for heard in (False, True):
        config = Config(engine="neural")
        config.animator.heard_phones = heard
        key = "heard phones" if heard else "model alone"
        out[key] = {"held_out": round(mean_event(held, config), 4),
                    "degraded_mean": round(mean_event(degraded, config), 4)}
        print(f"  {path.name} {key}: {out[key]}", file=sys.stderr, flush=True)
    return out


def spread(per_model: dict) -> dict:
    """Mean and range over the models of every number."""
    first = next(iter(per_model.values()))
    out = {}
    for key, numbers in first.items():
        out[key] = {}
        for name in numbers:
            values = [m[key][name] for m in per_model.values()]
            out[key][name] = {"mean": round(float(np.mean(values)), 4),
                              "min": min(values), "max": max(values)}
    return out


def main(argv: list[str] | None = None) -> int:
    from .results import git_sha, results_path, stamped, write_results

    parser = argparse.ArgumentParser(prog="python -m bench.seeds", description=__doc__)
    parser.add_argument("models", nargs="*", type=Path, default=[neural.MODEL_PATH],
                        help="neural ONNX models (default: the shipped one)")
    args = parser.parse_args(argv)
    held, degraded = held_out_items(), degraded_items()
    per_model = {}
    for path in args.models:
        print(f"[bench] seeds: {path} ...", file=sys.stderr, flush=True)
        per_model[str(path)] = score_model(path, held, degraded)
    summary = spread(per_model)
    for key, numbers in summary.items():
        cells = ", ".join(f"{name} {v['mean']:.3f} ({v['min']:.3f}-{v['max']:.3f})"
                          for name, v in numbers.items())
        print(f"{key:<13} {cells}")
    sha = git_sha()
    write_results(results_path(RESULTS_DIR, sha),
                  stamped(sha, models=per_model, spread=summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
