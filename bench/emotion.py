"""`python -m bench --only emotion`: text-emotion accuracy and confusion matrix on
tests/data/emotion_sentences.tsv (the dev set, tuned on) and emotion_sentences_heldout.tsv
(never tuned on: the honest number); blink rate, head-motion range and share of expressive
frames on the LJSpeech clips; lip-sync metrics with emotion + idle motion on vs off."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import datasets, metrics
from .results import BENCH, write_results

SENTENCES = Path(__file__).parent.parent / "tests" / "data" / "emotion_sentences.tsv"
HELDOUT = SENTENCES.with_name("emotion_sentences_heldout.tsv")


def read_sentences(path: Path = SENTENCES) -> list[tuple[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, text = line.split("\t", 1)
            rows.append((label, text))
    return rows


def text_accuracy(path: Path = SENTENCES) -> dict:
    from voxrig.core.emotion.text import EMOTIONS, classify

    rows = read_sentences(path)
    confusion = np.zeros((len(EMOTIONS), len(EMOTIONS)), int)
    for label, text in rows:
        confusion[EMOTIONS.index(label), EMOTIONS.index(classify(text).label)] += 1
    return {"accuracy": round(float(np.trace(confusion) / confusion.sum()), 4),
            "labels": list(EMOTIONS), "confusion": confusion.tolist(), "n": len(rows)}


def living_face() -> dict:
    from voxrig.core.bake import bake
    from voxrig.core.names import ARKIT_INDEX

    blinks, minutes, ranges, expressive, frames = 0, 0.0, [], 0, 0
    texts = {clip.audio.name: clip.transcript for clip in datasets.ljspeech_clips()}
    for audio in sorted((datasets.data_root() / "english" / "ljspeech").glob("*.flac")):
        c = bake(audio, texts.get(audio.name))  # transcripts where metadata.csv has them
        b = c.weights[:, ARKIT_INDEX["eyeBlinkLeft"]]
        blinks += int(np.sum((b[1:] > 0.5) & (b[:-1] <= 0.5)))
        minutes += c.duration / 60.0
        ranges.append(c.head.max(axis=0) - c.head.min(axis=0))
        expressive += int(np.sum(np.argmax(c.emotion, axis=1) != 0))
        frames += c.frame_count
    r = np.array(ranges)
    return {"clips": len(ranges), "blinks_per_minute": round(blinks / minutes, 2),
            "head_range_deg_mean": [round(float(x), 2) for x in r.mean(axis=0)],
            "non_neutral_share": round(expressive / frames, 4)}


def lip_sync(on: bool) -> dict:
    from voxrig.core.bake import bake
    from voxrig.core.config import Config

    config = Config()
    if not on:
        config.emotion.mode, config.idle.enabled = "none", False
    out = {}
    for with_text in (True, False):
        counts = []
        for clip in datasets.english_phone_clips():
            c = bake(clip.audio, clip.transcript if with_text else None, config)
            counts.append(metrics.event_counts(metrics.arkit_weights(c), c.fps, clip.phones))
        out["event_transcript" if with_text else "event_no_transcript"] = round(
            metrics.event_score(counts).as_dict()["event"], 4)
    per = []
    for clip in datasets.facegood_clips():
        c = bake(clip.audio, None, config)
        per.append(metrics.facegood_metrics(metrics.arkit_weights(c), c.fps, clip.weights,
                                            clip.fps))
    out["facegood_r_gap"] = round(metrics.mean_metrics(per).as_dict()["r_gap"], 4)
    return out


def main() -> int:
    text, heldout = text_accuracy(), text_accuracy(HELDOUT)
    print(f"text emotion accuracy {text['accuracy']:.3f} on {text['n']} dev sentences, "
          f"{heldout['accuracy']:.3f} on {heldout['n']} held-out sentences")
    print("confusion (rows = expected, columns = predicted):")
    print("           " + " ".join(f"{n[:5]:>5}" for n in text["labels"]))
    for name, row in zip(text["labels"], text["confusion"], strict=True):
        print(f"{name:>10} " + " ".join(f"{v:5d}" for v in row))
    face = living_face()
    print(f"LJSpeech ({face['clips']} clips): {face['blinks_per_minute']:.1f} blinks/min, "
          f"head range pitch/yaw/roll {face['head_range_deg_mean']} deg, "
          f"non-neutral frames {face['non_neutral_share']:.1%}")
    off, on = lip_sync(False), lip_sync(True)
    for key in off:
        print(f"{key}: off {off[key]:.4f}  on {on[key]:.4f}  change {on[key] - off[key]:+.4f}")
    write_results(BENCH / "emotion_results" / "emotion.json",
                  {"text": text, "text_heldout": heldout, "living_face": face,
                   "lip_sync_off": off, "lip_sync_on": on})
    return 0
