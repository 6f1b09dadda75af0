"""`python -m bench --only multilingual`: lip sync on non-English and odd-voiced clips that come
without phone tiers (../shared/data/multilingual/mfa).

Labels are made where a transcript exists: espeak-ng says the transcript in the clip's language
with exact phone timings (bench/espeak.py), the synthetic utterance is aligned to the real
recording by DTW on per-utterance normalised MFCCs, and the phone boundaries are carried over
the warping path. The method is first checked on the English clips that do have reference tiers
(boundary error, and event scores on transferred vs reference phones), so the report says how far
the transferred labels can be trusted. Every clip, with or without a transcript, also gets two
label-free numbers: how well the lip gap follows the voice's loudness, and how often the mouth
rests during silence. Results go to bench/multilingual_results/<date>-<sha>.json."""

from __future__ import annotations

import math
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.fft import dct

from voxrig.core.animator import animate
from voxrig.core.audio import load_audio
from voxrig.core.config import ANALYSIS_RATE
from voxrig.core.features import loudness_db, normalised_loudness, runs, speech_level
from voxrig.core.mel import log_mel
from voxrig.core.names import BILABIALS, SILENCE, VOWELS
from voxrig.core.phones import Phone, PhoneTimeline, contiguous

from . import datasets, metrics
from .systems import SYSTEMS, System, first_line, voxrig

RESULTS_DIR = Path(__file__).parent / "multilingual_results"
RATE = 100.0  # frames per second of every feature and curve here
AUDIO_EXTENSIONS = (".wav", ".flac", ".mp3", ".opus", ".ogg")
VOICES = {"en": "en-us", "es": "es", "sv": "sv", "ja": "ja"}
LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "sv": "Swedish", "ja": "Japanese"}
NO_TEXT_GROUPS = ("MFA English words & odd voices, no transcript",
                  "whisper, falsetto, dummy, no transcript")
GROUP_ORDER = ("English", "Spanish", "Swedish", "Japanese", *NO_TEXT_GROUPS)
ESPEAK_RATE = 175  # words per minute, espeak's default; re-set per clip to match the speaker
SPEECH_RANGE_DB = 30.0  # frames within this of the speaker's vowel level are speech
MARGIN = 0.10  # s of silence kept around the speech of both utterances before aligning
N_MFCC = 13
QUIET_SHARE = 0.35  # of the way from the noise floor to the vowel level: below is no voice
PAUSE_MIN_HEARD = 0.20  # s: audible silence at least this long is labelled a pause


# ---------------------------------------------------------------------------------------------
# Clips


@dataclass(frozen=True)
class MultiClip:
    name: str
    audio: Path
    transcript: str | None
    language: str | None  # "en", "es", "sv", "ja"; None without a transcript
    group: str


_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def language_of(name: str, text: str) -> str | None:
    """The language of a transcript from its script or the corpus its file name comes from."""
    if _JAPANESE.search(text) or "_ja_" in name:
        return "ja"
    if name.startswith("se10x"):
        return "sv"  # NST Swedish
    if name.startswith("13697_"):
        return "es"  # MLS Spanish speaker 13697
    if name.startswith(("common_voice_en", "mfa_", "multilingual_ipa")) or re.fullmatch(
        r"\d+-\d+-\d+", name  # LibriSpeech speaker-chapter-utterance
    ):
        return "en"
    return None


def multilingual_clips(root: Path | None = None) -> list[MultiClip]:
    """Every audio file in multilingual/mfa, with the `.lab`/`.txt` transcript beside it."""
    base = (root or datasets.data_root()) / "multilingual" / "mfa"
    clips = []
    for audio in sorted(p for p in base.iterdir() if p.suffix.lower() in AUDIO_EXTENSIONS):
        text = None
        for ext in (".lab", ".txt"):
            if audio.with_suffix(ext).exists():
                text = audio.with_suffix(ext).read_text(encoding="utf-8").strip() or None
        language = language_of(audio.stem, text) if text else None
        if language:
            group = LANGUAGE_NAMES[language]
        else:
            group = NO_TEXT_GROUPS[0 if audio.stem.startswith("mfa_") else 1]
        clips.append(MultiClip(audio.stem, audio, text if language else None, language, group))
    return clips


# ---------------------------------------------------------------------------------------------
# Synthesis


_ESPEAK = None


def _espeak():  # noqa: ANN202 - bench.espeak.Espeak, imported lazily (ctypes + libespeak)
    global _ESPEAK
    if _ESPEAK is None:
        from .espeak import Espeak

        _ESPEAK = Espeak()
    return _ESPEAK


def speakable(text: str, language: str) -> str:
    """Text espeak reads in the language: Japanese kanji become kana (espeak-ng reads kanji
    as 'Chinese letter'), with pykakasi."""
    if language != "ja":
        return text
    import pykakasi

    return "".join(part["hira"] for part in pykakasi.kakasi().convert(text))


@dataclass(frozen=True)
class Synthetic:
    samples: np.ndarray  # 16 kHz
    phones: list[Phone]  # contiguous ARPAbet, exact (from espeak's events)


def synthesise(text: str, language: str, rate: int = ESPEAK_RATE) -> Synthetic:
    samples, events = _espeak().say(speakable(text, language), VOICES[language], rate, 50, 50)
    duration = len(samples) / ANALYSIS_RATE
    phones = contiguous([Phone(lab, s, e) for lab, s, e in events], duration)
    return Synthetic(samples.astype(np.float32), phones)


def _speech_span(phones: list[Phone]) -> tuple[float, float]:
    spoken = [p for p in phones if p.label != SILENCE]
    if not spoken:
        return 0.0, phones[-1].end if phones else 0.0
    return spoken[0].start, spoken[-1].end


def quiet_frames(samples: np.ndarray) -> np.ndarray:
    """10 ms frames (at i / RATE) without voice: below QUIET_SHARE of the way from the noise
    floor (5th percentile of the level) to the speaker's vowel level, and never closer than
    SPEECH_RANGE_DB to it, so clean and noisy recordings both find their pauses."""
    db = loudness_db(samples, ANALYSIS_RATE)
    level = speech_level(db)
    floor = float(np.percentile(db, 5))
    threshold = min(floor + QUIET_SHARE * (level - floor), level - 6.0)
    return db < max(threshold, level - SPEECH_RANGE_DB) if level - floor > 6.0 else \
        np.zeros(len(db), bool)


def loud_span(samples: np.ndarray) -> tuple[float, float] | None:
    """First and last 10 ms frame with voice (s)."""
    idx = np.flatnonzero(~quiet_frames(samples))
    return None if idx.size == 0 else (idx[0] / RATE, idx[-1] / RATE)


def synthesise_matched(text: str, language: str, speech_seconds: float
                        ) -> tuple[Synthetic, float]:
    """The transcript said at the speaker's pace: once at espeak's default rate, then again
    with the rate scaled so the synthetic speech lasts as long as the real speech span.
    Also returns the default-rate synthetic / real speech duration ratio."""
    first = synthesise(text, language)
    start, end = _speech_span(first.phones)
    if end - start <= 0 or speech_seconds <= 0:
        return first, 1.0
    ratio = (end - start) / speech_seconds
    return synthesise(text, language, int(np.clip(ESPEAK_RATE * ratio, 80, 450))), ratio


# ---------------------------------------------------------------------------------------------
# Features and DTW


def mfcc_features(samples: np.ndarray) -> np.ndarray:
    """(T, 2 * N_MFCC) MFCCs with deltas from voxrig's log-mel, each dimension normalised to zero
    mean and unit variance over the utterance, so speaker and channel differences fall away."""
    cep = dct(log_mel(samples), type=2, norm="ortho", axis=1)[:, :N_MFCC]
    delta = np.gradient(cep, axis=0)
    feats = np.concatenate([cep, delta], axis=1).astype(np.float64)
    return (feats - feats.mean(axis=0)) / (feats.std(axis=0) + 1e-6)


# Steps (di, dj) over (real, synthetic) frames: a diagonal, the two slope-2 steps of Sakoe and
# Chiba's symmetric P=1 pattern, and a penalised vertical step that lets a real pause (or a
# drawn-out sound) last longer than its synthetic counterpart. Synthetic speech can be
# compressed at most 2x locally.
_DIAG, _SYN2, _REAL2, _HOLD = 0, 1, 2, 3


def dtw_path(x: np.ndarray, y: np.ndarray, hold_penalty: float = 0.0) -> np.ndarray:
    """Align all of x (M, D) to all of y (N, D), start to start and end to end. Returns the
    warping path as (K, 2) pairs (i, j), monotone in both. Costs are Euclidean distances,
    weighted by the symmetric pattern (a diagonal step counts twice); `hold_penalty` (in units
    of the median distance) is added to each vertical step."""
    cost = np.sqrt(np.maximum(
        (x**2).sum(1)[:, None] + (y**2).sum(1)[None, :] - 2.0 * x @ y.T, 0.0))
    m, n = cost.shape
    penalty = hold_penalty * float(np.median(cost))
    acc = np.full((m, n), np.inf)
    step = np.zeros((m, n), np.int8)
    acc[0, 0] = cost[0, 0]
    for i in range(1, m):
        c = cost[i]
        options = np.full((4, n), np.inf)
        options[_DIAG, 1:] = acc[i - 1, :-1] + 2.0 * c[1:]
        options[_SYN2, 2:] = acc[i - 1, :-2] + 2.0 * c[1:-1] + c[2:]
        if i >= 2:
            options[_REAL2, 1:] = acc[i - 2, :-1] + 2.0 * cost[i - 1, 1:] + c[1:]
        options[_HOLD] = acc[i - 1] + c + penalty
        step[i] = np.argmin(options, axis=0)
        acc[i] = options[step[i], np.arange(n)]
    if not np.isfinite(acc[-1, -1]):
        raise ValueError(f"no warping path between {m} and {n} frames")
    path = [(m - 1, n - 1)]
    i, j = m - 1, n - 1
    while (i, j) != (0, 0):
        s = step[i, j]
        if s == _DIAG:
            i, j = i - 1, j - 1
        elif s == _SYN2:
            path.append((i, j - 1))
            i, j = i - 1, j - 2
        elif s == _REAL2:
            path.append((i - 1, j))
            i, j = i - 2, j - 1
        else:
            i -= 1
        path.append((i, j))
    return np.array(path[::-1], dtype=np.int64)


def warp_times(path: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Synthetic times (s, relative to its first frame) -> real times along the path: each
    time goes to the first real frame aligned with the synthetic frame it falls on."""
    n = int(path[:, 1].max()) + 1
    first = np.full(n, np.inf)
    np.minimum.at(first, path[:, 1], path[:, 0].astype(np.float64))
    frames = np.clip(np.round(np.asarray(times) * RATE).astype(np.int64), 0, n - 1)
    return first[frames] / RATE


# ---------------------------------------------------------------------------------------------
# Label transfer


@dataclass(frozen=True)
class Transfer:
    phones: list[Phone]  # contiguous over the real clip
    espeak_rate_ratio: float  # synthetic / real speech duration at espeak's default rate
    cost: float  # mean frame distance along the path (normalised features)


def transfer_phones(samples: np.ndarray, text: str, language: str) -> Transfer:
    """espeak's phones for `text`, moved onto the real recording (16 kHz samples)."""
    duration = len(samples) / ANALYSIS_RATE
    span = loud_span(samples)
    if span is None:
        raise ValueError("no speech above the noise floor")
    real_lo = max(0.0, span[0] - MARGIN)
    real_hi = min(duration, span[1] + MARGIN)
    synth, ratio = synthesise_matched(text, language, span[1] - span[0])
    s_start, s_end = _speech_span(synth.phones)
    syn_lo = max(0.0, s_start - MARGIN)
    syn_hi = min(len(synth.samples) / ANALYSIS_RATE, s_end + MARGIN)
    x = mfcc_features(samples[int(real_lo * ANALYSIS_RATE) : int(real_hi * ANALYSIS_RATE)])
    y = mfcc_features(synth.samples[int(syn_lo * ANALYSIS_RATE) : int(syn_hi * ANALYSIS_RATE)])
    path = dtw_path(x, y)
    d = np.linalg.norm(x[path[:, 0]] - y[path[:, 1]], axis=1)
    moved = []
    for p in synth.phones:
        if p.end <= syn_lo or p.start >= syn_hi:
            continue
        a, b = warp_times(path, np.array([max(p.start, syn_lo), min(p.end, syn_hi)]) - syn_lo)
        if p.end >= syn_hi:
            b = real_hi - real_lo
        moved.append(Phone(p.label, real_lo + a, real_lo + b))
    phones = with_heard_pauses(contiguous([p for p in moved if p.end > p.start], duration),
                               samples)
    return Transfer(phones, ratio, float(d.mean()))


def quiet_stretches(samples: np.ndarray, min_seconds: float) -> list[tuple[float, float]]:
    """Stretches (s) of at least `min_seconds` of quiet frames."""
    return [(a / RATE, (b - 1) / RATE) for a, b in runs(quiet_frames(samples))
            if (b - 1 - a) / RATE >= min_seconds]


def with_heard_pauses(phones: list[Phone], samples: np.ndarray,
                      min_seconds: float = PAUSE_MIN_HEARD) -> list[Phone]:
    """Where the speaker is audibly silent for a while, the label is silence: espeak says the
    words without the speaker's pauses, and DTW must hang a real pause on some synthetic
    frame. Stops close for less than `min_seconds`, so their closures stay."""
    out = list(phones)
    for lo, hi in quiet_stretches(samples, min_seconds):
        kept = []
        for p in out:
            if p.end <= lo or p.start >= hi:
                kept.append(p)
                continue
            if p.start < lo:
                kept.append(Phone(p.label, p.start, lo))
            if p.end > hi:
                kept.append(Phone(p.label, hi, p.end))
        out = sorted(kept + [Phone(SILENCE, lo, hi)], key=lambda p: p.start)
    return contiguous(out, phones[-1].end if phones else 0.0)


# ---------------------------------------------------------------------------------------------
# Scores


def boundaries(phones: list[Phone]) -> np.ndarray:
    return np.array([p.start for p in phones[1:]])


def boundary_errors(reference: list[Phone], transferred: list[Phone]) -> np.ndarray:
    """For each reference phone boundary, the distance (s) to the nearest transferred one."""
    ref, got = boundaries(reference), boundaries(transferred)
    if ref.size == 0 or got.size == 0:
        return np.zeros(0)
    return np.min(np.abs(ref[:, None] - got[None, :]), axis=1)


def mouth_class(label: str) -> str:
    """The coarse mouth target a phone asks for, as the event categories see it."""
    if label == SILENCE:
        return "rest"
    if label in BILABIALS:
        return "closed"
    if label in metrics.OPEN_VOWELS:
        return "open"
    if label in metrics.ROUNDED:
        return "round"
    return "vowel" if label in VOWELS else "other"


def frame_agreement(reference: list[Phone], transferred: list[Phone], duration: float) -> float:
    """Share of 10 ms frames where both label sets ask for the same mouth class."""
    times = np.arange(metrics.frames_for(duration)) / RATE

    def classes(phones: list[Phone]) -> np.ndarray:
        starts = np.array([p.start for p in phones])
        idx = np.clip(np.searchsorted(starts, times, side="right") - 1, 0, len(phones) - 1)
        return np.array([mouth_class(phones[k].label) for k in idx])

    return float(np.mean(classes(reference) == classes(transferred)))


def forced_phones(audio: Path, transcript: str, duration: float) -> list[Phone]:
    """The phones voxrig's own aligner (pocketsphinx, English) finds with the transcript."""
    from voxrig.core.bake import bake
    from voxrig.core.config import Config

    clip = bake(audio, transcript=transcript, config=Config(engine="phonetic"))
    return contiguous([Phone(lab, s, e) for lab, s, e in clip.meta["phones"]], duration)


def oracle_weights(phones: list[Phone], duration: float) -> tuple[np.ndarray, float]:
    """voxrig's phonetic animator driven by the given phones alone (no audio)."""
    clip = animate(PhoneTimeline(phones, duration, "reference"), 30.0)
    return metrics.arkit_weights(clip), clip.fps


def label_free(weights: np.ndarray, fps: float, samples: np.ndarray) -> dict[str, float]:
    """r between the lip gap and the voice's loudness (0..1 over 30 dB), and the share of
    frames at rest (gap <= 3 mm) in quiet stretches (`quiet_frames`) of >= 300 ms, trimmed
    100 ms each side; and its counterpart, the share of loud frames (within 15 dB of the vowel
    level) with the lips apart (gap > 3 mm): a still mouth rests everywhere and opens nowhere."""
    loud = normalised_loudness(loudness_db(samples, ANALYSIS_RATE), SPEECH_RANGE_DB)
    duration = (len(loud) - 1) / RATE
    gap = metrics.mouth_curves(weights, fps, duration).gap
    n = min(len(gap), len(loud))
    gap, loud = gap[:n], loud[:n]
    quiet = quiet_frames(samples)[:n]
    rest_frames = at_rest = 0
    k = 0
    while k < n:
        if not quiet[k]:
            k += 1
            continue
        end = k
        while end < n and quiet[end]:
            end += 1
        trim = int(round(metrics.PAUSE_TRIM * RATE))
        if (end - k) / RATE >= metrics.PAUSE_MIN:
            part = gap[k + trim : end - trim]
            rest_frames += part.size
            at_rest += int(np.count_nonzero(part <= metrics.REST_GAP))
        k = end
    voiced = loud >= 0.5  # within 15 dB of the vowel level
    return {"r_loud": metrics.pearson(gap, loud), "rest_frames": rest_frames,
            "rest_hits": at_rest, "voiced_frames": int(np.count_nonzero(voiced)),
            "voiced_open": int(np.count_nonzero(gap[voiced] > metrics.REST_GAP))}


def _score(counts: list[metrics.EventCounts]) -> dict:
    if not counts:
        return {}
    score = metrics.event_score(counts)
    out = {k: round(v, 4) for k, v in score.as_dict().items()}
    out["counts"] = {c: vars(getattr(score.counts, c)) for c in metrics.CATEGORIES}
    return out


# ---------------------------------------------------------------------------------------------
# The runs


def validate_english(systems: list) -> dict:
    """The transfer on the English clips with reference tiers: boundary error, mouth-class
    agreement, and event scores judged on transferred vs reference phones."""
    errors, agreement, per_clip, forced_errors, forced_agreement = [], [], [], [], []
    oracle_ref, oracle_tr = [], []
    judged: dict[str, dict[str, list]] = {s.name: {"reference": [], "transferred": []}
                                          for s in systems}
    for clip in datasets.english_phone_clips():
        samples = load_audio(clip.audio).samples
        tr = transfer_phones(samples, clip.transcript, "en")
        err = boundary_errors(clip.phones, tr.phones)
        errors.append(err)
        agreement.append(frame_agreement(clip.phones, tr.phones, clip.duration))
        per_clip.append({"clip": clip.name, "median_ms": round(1000 * float(np.median(err)), 1),
                         "agreement": round(agreement[-1], 3), "dtw_cost": round(tr.cost, 3)})
        forced = forced_phones(clip.audio, clip.transcript, clip.duration)
        forced_errors.append(boundary_errors(clip.phones, forced))
        forced_agreement.append(frame_agreement(clip.phones, forced, clip.duration))
        w, fps = oracle_weights(clip.phones, clip.duration)
        oracle_ref.append(metrics.event_counts(w, fps, clip.phones))
        w, fps = oracle_weights(tr.phones, clip.duration)
        oracle_tr.append(metrics.event_counts(w, fps, clip.phones))
        for system in systems:
            w, fps = system.predict(clip.audio, None)
            judged[system.name]["reference"].append(metrics.event_counts(w, fps, clip.phones))
            judged[system.name]["transferred"].append(metrics.event_counts(w, fps, tr.phones))
    allerr = np.concatenate(errors) * 1000.0
    forced_all = np.concatenate(forced_errors) * 1000.0
    return {
        "boundary_median_ms": round(float(np.median(allerr)), 1),
        "boundary_mean_ms": round(float(np.mean(allerr)), 1),
        "boundaries_within_50ms": round(float(np.mean(allerr <= 50.0)), 3),
        "class_agreement": round(float(np.mean(agreement)), 3),
        "per_clip": per_clip,
        "forced_alignment": {  # for comparison: voxrig's pocketsphinx aligner (English only)
            "boundary_median_ms": round(float(np.median(forced_all)), 1),
            "boundary_mean_ms": round(float(np.mean(forced_all)), 1),
            "boundaries_within_50ms": round(float(np.mean(forced_all <= 50.0)), 3),
            "class_agreement": round(float(np.mean(forced_agreement)), 3),
        },
        "oracle_on_reference": _score(oracle_ref),
        "oracle_on_transferred": _score(oracle_tr),
        "systems": {name: {k: _score(v) for k, v in sides.items()}
                    for name, sides in judged.items()},
    }


def run_clips(systems: list) -> dict:
    """Per clip group: event scores on transferred phones (clips with transcripts) and the
    label-free numbers (all clips), for each system judged without a transcript."""
    groups: dict[str, dict] = {name: {"clips": [], "labels": {}, "errors": [], "counts": {},
                                      "free": {}} for name in GROUP_ORDER}
    for clip in multilingual_clips():
        group = groups[clip.group]
        group["clips"].append(clip.name)
        try:
            samples = load_audio(clip.audio).samples
        except Exception as exc:  # an unreadable file is reported, not fatal
            group["errors"].append(f"{clip.name}: {first_line(exc)}")
            continue
        phones = None
        if clip.transcript and clip.language:
            try:
                tr = transfer_phones(samples, clip.transcript, clip.language)
                phones = tr.phones
                group["labels"][clip.name] = {"dtw_cost": round(tr.cost, 3),
                                              "rate_ratio": round(tr.espeak_rate_ratio, 2)}
            except Exception as exc:
                group["errors"].append(f"{clip.name} labels: {first_line(exc)}")
        for system in systems:
            try:
                w, fps = system.predict(clip.audio, None)
            except Exception as exc:
                group["errors"].append(f"{clip.name} / {system.name}: {first_line(exc)}")
                continue
            free = group["free"].setdefault(system.name, [])
            free.append({"clip": clip.name, **label_free(w, fps, samples)})
            if phones is not None:
                group["counts"].setdefault(system.name, []).append(
                    metrics.event_counts(w, fps, phones))
    out = {}
    for name, g in groups.items():
        if not g["clips"]:
            continue
        rows = {}
        for system in systems:
            free = g["free"].get(system.name, [])
            frames = sum(f["rest_frames"] for f in free)
            voiced = sum(f["voiced_frames"] for f in free)
            rows[system.name] = {
                **_score(g["counts"].get(system.name, [])),
                "r_loud": round(float(np.mean([f["r_loud"] for f in free])), 4) if free else None,
                "rest": round(sum(f["rest_hits"] for f in free) / frames, 4) if frames else None,
                "rest_frames": frames,
                "open": round(sum(f["voiced_open"] for f in free) / voiced, 4) if voiced
                else None,
                "voiced_frames": voiced,
                "clips_measured": len(free),
                "per_clip_r_loud": {f["clip"]: round(f["r_loud"], 3) for f in free},
            }
        out[name] = {"clips": g["clips"], "labelled": len(g["labels"]), "labels": g["labels"],
                     "errors": g["errors"], "rows": rows}
    return out


def judged_systems() -> list[System]:
    """voxrig's two engines by name (bench's "voxrig, no transcript" row is whichever "auto"
    picks), then bench's other systems that need no transcript; all judged without one."""
    ours = [System("voxrig neural", voxrig(False, "neural")),
            System("voxrig phonetic, no transcript", voxrig(False, "phonetic"))]
    return ours + [s for s in SYSTEMS
                   if "+ transcript" not in s.name and not s.name.startswith("voxrig")]


# ---------------------------------------------------------------------------------------------
# Report


def _f(value: object, digits: int) -> str:
    if not isinstance(value, int | float) or math.isnan(value):
        return "-"
    return f"{value:.{digits}f}"


def format_report(validation: dict, groups: dict) -> str:
    forced = validation["forced_alignment"]
    def summary(v: dict) -> str:
        return (f"boundary error median {v['boundary_median_ms']} ms, mean "
                f"{v['boundary_mean_ms']} ms, {100 * v['boundaries_within_50ms']:.0f} % within "
                f"50 ms; mouth class agrees on {100 * v['class_agreement']:.0f} % of frames")

    lines = ["Labels checked on the English clips with reference tiers:",
             f"  espeak-ng + DTW transfer:      {summary(validation)}",
             f"  voxrig's aligner + transcript: {summary(forced)}",
             "", f"{'event score judged on':34}{'reference':>28}{'transferred':>28}",
             f"{'':34}" + f"{'event  B    O    R    S':>28}" * 2]

    def cells(s: dict) -> str:
        return (f"{_f(s.get('event'), 3):>7} " + " ".join(_f(s.get(c), 2).rjust(4)
                                                         for c in metrics.CATEGORIES))

    lines.append(f"{'phonetic animator on the phones':34}"
                 f"{cells(validation['oracle_on_reference']):>28}"
                 f"{cells(validation['oracle_on_transferred']):>28}")
    for name, sides in validation["systems"].items():
        lines.append(f"{name:34}{cells(sides['reference']):>28}{cells(sides['transferred']):>28}")
    for group, g in groups.items():
        lines += ["", f"{group}: {len(g['clips'])} clips, {g['labelled']} with transferred labels",
                  f"{'':34}{'event  B    O    R    S':>28}  r_loud  open  rest"]
        for name, row in g["rows"].items():
            lines.append(f"{name:34}{cells(row):>28}  {_f(row.get('r_loud'), 3):>6}"
                         f"  {_f(row.get('open'), 2):>4}  {_f(row.get('rest'), 2):>4}")
        for err in g["errors"]:
            lines.append(f"  not measured: {err}")
    return "\n".join(lines)


def main() -> int:
    from .results import git_sha, results_path, stamped, write_results

    systems = judged_systems()
    t0 = time.perf_counter()
    print("[bench] multilingual: checking the label transfer on English ...", file=sys.stderr,
          flush=True)
    validation = validate_english(systems)
    print("[bench] multilingual: clips ...", file=sys.stderr, flush=True)
    groups = run_clips(systems)
    sha = git_sha()
    payload = stamped(sha, seconds=round(time.perf_counter() - t0, 1), validation=validation,
                      groups=groups)
    print(format_report(validation, groups))
    write_results(results_path(RESULTS_DIR, sha), payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
