"""Score checkpoints with the bench's metrics, model alone (mouth channels straight from the
network at 100 Hz, no emotion or idle layers): English event score without transcript on the
clips with reference phone tiers, the same on the 14 English clips of multilingual/ (other
speakers; phones carried over from espeak-ng by DTW, as `bench --only multilingual` does),
FACEGOOD r_gap (held-out clip and the four training clips apart), and r of the lip gap
against GRID s1's tracked lips on its validation split (never trained on). Four clips with phone
tiers are too few to choose between checkpoints on alone. For the model card's ablations; the
shipped model's full-pipeline numbers come from `python -m bench`.

    python -m training.evaluate build/training/run/model.pt [other.pt ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from voxrig.core.audio import load_audio
from voxrig.core.mel import log_mel

from .export import load_checkpoint
from .features import CHANNEL_INDEX, HELD_OUT_FACEGOOD, PHONES
from .model import AudioToFace


def predict(model: AudioToFace, path: Path) -> np.ndarray:
    """(frames, 52) weights at 100 Hz for an audio file, audio only."""
    mel = torch.from_numpy(log_mel(load_audio(path).samples))[None]
    d = model.config.delay
    mel = torch.cat([mel, mel[:, -1:].repeat(1, d, 1)], dim=1)
    with torch.no_grad():
        w, *_ = model(mel, torch.zeros(1, mel.shape[1], len(PHONES)), *model.zero_caches(1))
    out = np.zeros((w.shape[1] - d, 52), np.float32)
    out[:, CHANNEL_INDEX] = w[0, d:].clamp(0, 1).numpy()
    return out


def transferred_english() -> list[tuple[Path, list]]:
    """(audio, phones) of multilingual/'s English clips, phones transferred by DTW."""
    from bench.multilingual import multilingual_clips, transfer_phones

    out = []
    for clip in multilingual_clips():
        if clip.language == "en" and clip.transcript:
            samples = load_audio(clip.audio).samples
            out.append((clip.audio, transfer_phones(samples, clip.transcript, "en").phones))
    return out


def _rounded(values: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) for k, v in values.items()}


def evaluate(model: AudioToFace, others: list[tuple[Path, list]]) -> dict:
    from bench import datasets, metrics

    english = metrics.event_score(metrics.event_counts(predict(model, c.audio), 100.0, c.phones)
                                  for c in datasets.english_phone_clips())
    transferred = metrics.event_score(metrics.event_counts(predict(model, audio), 100.0, phones)
                                      for audio, phones in others)
    held, seen = [], []
    for clip in datasets.facegood_clips():
        m = metrics.facegood_metrics(predict(model, clip.audio), 100.0, clip.weights, clip.fps)
        (held if clip.name == HELD_OUT_FACEGOOD else seen).append(m)
    from bench.grid import grid_targets, score_clip

    grid = [score_clip(predict(model, t.audio), 100.0, t.gap, t.width)
            for t in grid_targets("validation")]
    return {
        "grid_validation": {"r_gap": round(float(np.mean([g.r_gap for g in grid])), 4),
                            "r_width": round(float(np.mean([g.r_width for g in grid])), 4)},
        "english_event": _rounded(english.as_dict()),
        "english_transferred_event": _rounded(transferred.as_dict()),
        "facegood_held_out": _rounded(held[0].as_dict()),
        "facegood_trained_mean": _rounded(metrics.mean_metrics(seen).as_dict()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, default=Path("build/training/evaluation.json"))
    args = parser.parse_args()
    torch.set_num_threads(2)
    others = transferred_english()
    results = {}
    for path in args.checkpoints:
        results[str(path)] = evaluate(load_checkpoint(path), others)
        print(json.dumps({str(path): results[str(path)]}), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
