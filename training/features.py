"""Turn the training material into arrays the trainer samples from: per 10 ms frame the
log-mel input, the target mouth channels, and the phone heard (for the optional FiLM input).

Sources (see training/README.md):
- synthetic speech from training.corpus, with exact phone timings -> phonetic-animator targets
- FACEGOOD dev clips (real Mandarin, artist animation retargeted to ARKit), all five, each
  utterance tagged with its clip so the trainer can hold one out (`--held-out`)
- LJSpeech clips that have transcripts, aligned with pocketsphinx -> phonetic-animator targets
- GRID s1's training split (real English on video, CC BY 4.0): aligned phones ->
  phonetic-animator targets, and the speaker's tracked inner-lip gap (bench/grid.py) as a
  real timing target for the lips (`lips`, NaN where not tracked; never the validation split)
Each utterance gives a clean version and augmented versions (training/augment.py).

    python -m training.features [--corpus build/training/corpus] [--out build/training/features]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import soundfile as sf

from voxrig.core.animator import animate
from voxrig.core.audio import audio_from_array, load_audio
from voxrig.core.config import AnimatorConfig
from voxrig.core.curve_resample import curves_at
from voxrig.core.mel import frame_count, log_mel
from voxrig.core.names import ARKIT_INDEX, ARPABET, SILENCE
from voxrig.core.phones import Phone, PhoneTimeline, contiguous

from .augment import RATE, augment, level, speed_change

# What the model predicts: the jaw, mouth and cheek channels (eyes, brows, head and
# expression come from other producers and are layered on top).
CHANNELS: tuple[str, ...] = (
    "jawForward", "jawLeft", "jawRight", "jawOpen", "mouthClose", "mouthFunnel", "mouthPucker",
    "mouthLeft", "mouthRight", "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft",
    "mouthFrownRight", "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft",
    "mouthStretchRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
    "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthUpperUpLeft", "mouthUpperUpRight", "cheekPuff", "cheekSquintLeft", "cheekSquintRight",
)  # fmt: skip
CHANNEL_INDEX = np.array([ARKIT_INDEX[c] for c in CHANNELS])
PHONES: tuple[str, ...] = (*sorted(ARPABET), SILENCE)  # FiLM input ids; -1 = not known
PHONE_ID = {p: i for i, p in enumerate(PHONES)}
# FACEGOOD's retarget defines these; the rest are unknown there and masked out of the loss.
FACEGOOD_CHANNELS = frozenset(
    ["jawOpen", "mouthFunnel", "mouthPucker", "mouthRollLower", "mouthRollUpper",
     "mouthShrugUpper", "mouthShrugLower", "mouthLowerDownLeft", "mouthLowerDownRight",
     "mouthUpperUpLeft", "mouthUpperUpRight", "mouthPressLeft", "mouthPressRight",
     "mouthStretchLeft", "mouthStretchRight", "mouthSmileLeft", "mouthSmileRight"]
)
HELD_OUT_FACEGOOD = "1114_2_05"  # the shipped model never trains on it: the acceptance clip
GROUPS = ("synthetic-en", "synthetic-other", "facegood", "real-en", "grid", "non-speech")


@dataclass
class Item:
    group: str
    samples: np.ndarray  # 16 kHz float32
    phones: list[Phone] | None  # exact or aligned timings, if known
    weights: np.ndarray | None  # (T, 52) at 100 Hz for FACEGOOD, else made from phones
    copies: int  # augmented versions besides the clean one
    seed: int
    lips: np.ndarray | None = None  # (T,) tracked lip gap at 100 Hz, NaN where unknown
    source: str = ""  # the FACEGOOD clip it comes from, so a trainer can hold it out


def phone_ids(phones: list[Phone] | None, count: int, scale: float = 1.0) -> np.ndarray:
    ids = np.full(count, -1, np.int8)
    if phones is None:
        return ids
    times = np.arange(count) / 100.0
    for p in phones:
        a, b = np.searchsorted(times, [p.start / scale, p.end / scale])
        ids[a:b] = PHONE_ID.get(p.label, PHONE_ID[SILENCE])
    return ids


def phonetic_targets(samples: np.ndarray, phones: list[Phone], scale: float) -> np.ndarray:
    """(frame_count, 52) phonetic-animator weights at 100 Hz; phone times divided by scale."""
    duration = len(samples) / RATE
    scaled = [Phone(p.label, p.start / scale, p.end / scale) for p in phones]
    timeline = PhoneTimeline(contiguous(scaled, duration), duration, "reference")
    audio = audio_from_array(samples, RATE)
    clip = animate(timeline, 100.0, AnimatorConfig(), audio)
    return _fit(clip.weights, frame_count(len(samples)))


def _fit(a: np.ndarray, n: int) -> np.ndarray:
    if len(a) >= n:
        return a[:n]
    return np.concatenate([a, np.repeat(a[-1:], n - len(a), axis=0)])


def versions(item: Item, babble: np.ndarray | None) -> list[dict[str, np.ndarray]]:
    """The clean version and `copies` augmented ones, each as frame arrays."""
    rng = np.random.default_rng(item.seed)
    out = []
    for copy in range(item.copies + 1):
        speed = 1.0
        x = item.samples
        # FACEGOOD keeps its 30 fps artist timing, GRID its 25 fps video timing
        if copy and item.weights is None and item.lips is None and rng.random() < 0.4:
            speed = float(rng.choice([0.9, 0.95, 1.05, 1.1]))
            x = speed_change(x, speed)
        if item.weights is None:
            assert item.phones is not None
            weights = phonetic_targets(x, item.phones, speed)
        else:
            weights = _fit(item.weights, frame_count(len(x)))
        x = augment(x, rng, babble, allow_speed=False).samples if copy else level(x, rng)
        n = frame_count(len(x))
        lips = np.full(n, np.nan, np.float32) if item.lips is None else _fit(item.lips, n)
        out.append({
            "mel": log_mel(x).astype(np.float16),
            "weights": weights[:n, CHANNEL_INDEX].astype(np.float16),
            "phones": phone_ids(item.phones, n, speed),
            "lips": lips[:n].astype(np.float16),
        })
    return out


def synthetic_items(corpus: Path) -> list[tuple[Path, str, int]]:
    if not (corpus / "manifest.jsonl").exists():
        print(f"no synthetic corpus in {corpus} (run python -m training.corpus)", flush=True)
        return []
    rows = [json.loads(line) for line in (corpus / "manifest.jsonl").read_text().splitlines()
            if line.strip()]
    out = []
    for i, row in enumerate(rows):
        group = "synthetic-en" if str(row["language"]).startswith("en") else "synthetic-other"
        out.append((corpus / row["json"], group, i))
    return out


def _load_synthetic(args: tuple[Path, str, int]) -> Item:
    meta_path, group, seed = args
    meta = json.loads(meta_path.read_text())
    samples, rate = sf.read(str(meta_path.with_suffix(".wav")), dtype="float32")
    assert rate == RATE, meta_path
    phones = [Phone(str(p[0]), float(p[1]), float(p[2])) for p in meta["phones"]]
    return Item(group, samples.reshape(-1), phones, None, 1, seed)


def facegood_items(copies: int = 6) -> list[Item]:
    """All five clips: which one is held out is the trainer's choice (leave-one-out)."""
    from bench.datasets import facegood_clips

    items = []
    for k, clip in enumerate(facegood_clips()):
        x = load_audio(clip.audio).samples
        n = frame_count(len(x))
        w = curves_at(clip.weights, clip.fps, np.arange(n) / 100.0)
        items.append(Item("facegood", x, None, w.astype(np.float32), copies, 10_000 + k,
                          source=clip.name))
    return items


def real_english_items(copies: int = 4) -> list[Item]:
    """LJSpeech clips with a transcript (never the bench's phone-tier clips)."""
    from bench.datasets import ljspeech_clips
    from voxrig.core.align import align

    items = []
    for k, clip in enumerate(ljspeech_clips()):
        audio = load_audio(clip.audio)
        timeline = align(audio, clip.transcript)
        if timeline.source != "forced":
            continue
        items.append(Item("real-en", audio.samples, timeline.phones, None, copies, 20_000 + k))
    return items


def grid_items(copies: int = 2) -> list[Item]:
    """GRID s1's training split: each clip's transcript aligned by voxrig (a clip whose
    alignment falls back or is partial is left out) and its tracked lip gap at 100 Hz."""
    from bench.grid import grid_targets, upsample
    from voxrig.core.align import align

    items = []
    for k, target in enumerate(grid_targets("train")):
        audio = load_audio(target.audio)
        timeline = align(audio, target.transcript)
        if timeline.source != "forced" or timeline.unaligned:
            continue
        lips = upsample(target.gap, frame_count(len(audio.samples)), target.fps)
        items.append(Item("grid", audio.samples, timeline.phones, None, copies, 40_000 + k,
                          lips.astype(np.float32)))
    return items


def non_speech_sound(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """A sound that is not a voice, for which the face must stay at rest: a steady or
    gliding tone, beeps, noise, hum, or a chord sequence (synthesised, seeded)."""
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    kind = rng.choice(["tone", "sweep", "beeps", "noise", "hum", "chords"])
    if kind == "tone":
        x = np.sin(2 * np.pi * rng.uniform(60, 4000) * t)
    elif kind == "sweep":
        f = np.geomspace(rng.uniform(80, 500), rng.uniform(800, 6000), n)
        x = np.sin(2 * np.pi * np.cumsum(f) / RATE)
    elif kind == "beeps":
        gate = (np.sin(2 * np.pi * rng.uniform(1, 6) * t) > rng.uniform(-0.5, 0.5))
        x = np.sin(2 * np.pi * rng.uniform(400, 3000) * t) * gate
    elif kind == "noise":
        from .augment import coloured_noise

        x = coloured_noise(rng, n) * (0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(0.1, 2) * t))
    elif kind == "hum":
        f0 = rng.choice([50.0, 60.0])
        x = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 8))
    else:
        x = np.zeros(n)
        step = int(rng.uniform(0.2, 0.8) * RATE)
        for start in range(0, n, step):
            root = 110 * 2 ** (rng.integers(0, 24) / 12)
            seg = t[start : start + step]
            x[start : start + step] = sum(np.sin(2 * np.pi * root * r * seg)
                                          for r in (1, 1.26, 1.5, 2))
    return level(np.asarray(x, np.float32), rng)


def non_speech_items(count: int = 150, seed: int = 30_000) -> list[Item]:
    rng = np.random.default_rng(seed)
    items = []
    for k in range(count):
        x = non_speech_sound(rng, float(rng.uniform(3, 8)))
        rest = np.zeros((frame_count(len(x)), 52), np.float32)
        silence = [Phone(SILENCE, 0.0, len(x) / RATE)]
        items.append(Item("non-speech", x, silence, rest, 1, seed + 1 + k))
    return items


def _work(task: tuple) -> tuple[str, str, list[dict[str, np.ndarray]]]:
    kind, payload, babble = task
    item = _load_synthetic(payload) if kind == "synthetic" else payload
    return item.group, item.source, versions(item, babble)


def build(corpus: Path, out: Path, jobs: int = 2, limit: int | None = None) -> None:
    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    babble = load_audio(
        Path(__file__).resolve().parents[1] / "bridge" / "samples" / "LJ001-0001.flac"
    ).samples
    tasks: list[tuple] = [("item", item, babble) for item in facegood_items()]
    tasks += [("item", item, babble) for item in real_english_items()]
    tasks += [("item", item, babble) for item in grid_items()]
    tasks += [("item", item, None) for item in non_speech_items()]
    synthetic = synthetic_items(corpus)
    if limit:
        synthetic = synthetic[:limit]
    tasks += [("synthetic", s, babble) for s in synthetic]
    print(f"{len(tasks)} utterances ({len(synthetic)} synthetic)", flush=True)
    parts: dict[str, list[dict[str, np.ndarray]]] = {g: [] for g in GROUPS}
    sources: dict[str, list[str]] = {g: [] for g in GROUPS}
    with Pool(jobs) as pool:
        for i, (group, source, made) in enumerate(
                pool.imap_unordered(_work, tasks, chunksize=8)):
            parts[group] += made
            sources[group] += [source] * len(made)
            if i % 500 == 0:
                print(f"  {i}/{len(tasks)} {time.perf_counter() - t0:.0f} s", flush=True)
    for group, rows in parts.items():
        if not rows:
            continue
        lengths = np.array([len(r["mel"]) for r in rows])
        np.savez(
            out / f"{group}.npz",
            mel=np.concatenate([r["mel"] for r in rows]),
            weights=np.concatenate([r["weights"] for r in rows]),
            phones=np.concatenate([r["phones"] for r in rows]),
            lips=np.concatenate([r["lips"] for r in rows]),
            offsets=np.concatenate([[0], np.cumsum(lengths)]),
            sources=np.array(sources[group]),
        )
        hours = lengths.sum() / 100 / 3600
        print(f"{group}: {len(rows)} versions, {hours:.2f} h of frames", flush=True)
    print(f"features done in {time.perf_counter() - t0:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("build/training/corpus"))
    parser.add_argument("--out", type=Path, default=Path("build/training/features"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="synthetic utterances (test)")
    args = parser.parse_args()
    build(args.corpus, args.out, args.jobs, args.limit)


if __name__ == "__main__":
    main()
