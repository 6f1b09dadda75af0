"""`python -m bench --only unseen`: lip sync on speech nobody tuned for (issue 14).

1. The four English phone-tier clips, clean and in every degraded version of bench/degrade.py
   (noise, reverb, telephone band, pitch, tempo, pauses, fillers, a filler written but not
   said), baked three ways: with the transcript, without (neural, the default) and phonetic
   without. Event score per condition against the transformed reference tier; for the
   transcript path also the fall-backs to recognition, whether a wrong transcript is still
   detected, and the aligned phones' boundary error against the tier.
2. Every other English clip of ../shared/data with a transcript (LJSpeech, multilingual/mfa's
   English) baked with its own, a wrong and a partly wrong transcript: fall-backs and
   detections.
3. The held-out English voices of multilingual/mfa judged on labels transferred from espeak-ng
   by DTW (bench/multilingual.py).

Results go to bench/unseen_results/<date>-<sha>.json; the change from the previous committed
results file is printed after the table."""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voxrig.core.audio import load_audio
from voxrig.core.clip import Clip
from voxrig.core.phones import Phone, contiguous

from . import datasets, degrade, metrics, multilingual

RESULTS_DIR = Path(__file__).parent / "unseen_results"
MISMATCH = "does not match"  # voxrig's warning when a transcript is not what was said
PARTIAL = "does not fully fit"  # ... when only part of it could be placed
RECOGNISED = "were recognised"  # ... when some phones were recognised, not aligned
TRANSCRIPT_WARNINGS = (MISMATCH, PARTIAL, "not heard", "transcript ended")  # any on the text
MODES = ("with transcript", "no transcript (neural)", "phonetic, no transcript")
ENGINE = {MODES[0]: "auto", MODES[1]: "auto", MODES[2]: "phonetic"}
WITHIN_MS = (20.0, 50.0)
# What the MFA test speaker says in multilingual/mfa/mfa_*.flac (the MFA test suite's transcripts,
# MIT; kept by the aligner's tests, so this group is not held out from the aligner).
MFA_SPEAKER = Path(__file__).parent / "data" / "mfa_speaker_transcripts.tsv"
MFA_GROUP = "MFA speaker (aligner's test set)"

# issue 14's acceptance
TARGET_TRANSCRIPT = 0.92  # event with the transcript, mean over the degradations
TARGET_NO_TRANSCRIPT = 0.88  # event without, mean over the degradations; and held-out voices


def bake_clip(audio: Path, transcript: str | None, engine: str = "auto") -> Clip:
    """The clip `voxrig bake` would make of a file, with the default settings."""
    from voxrig.core.bake import bake
    from voxrig.core.config import Config

    return bake(audio, transcript=transcript, config=Config(engine=engine))


def fell_back(clip: Clip) -> bool:
    """The transcript was not used: the phones are not only forced, or a warning says the
    transcript does not match."""
    return clip.meta["phone_source"] != "forced" or \
        any(MISMATCH in w for w in clip.meta["warnings"])


def partly_fell_back(clip: Clip) -> bool:
    """Forced, but only in part: a warning says the transcript does not fully fit or that some
    phones were recognised (the aligner's piece-by-piece mode)."""
    return not fell_back(clip) and any(PARTIAL in w or RECOGNISED in w
                                       for w in clip.meta["warnings"])


def detected(clip: Clip) -> bool:
    """voxrig said the transcript does not match (or does not fully fit) the audio."""
    return any(MISMATCH in w or PARTIAL in w for w in clip.meta["warnings"])


def flagged(clip: Clip) -> bool:
    """Any warning about the transcript (mismatch, or words that were not heard)."""
    return any(k in w for w in clip.meta["warnings"] for k in TRANSCRIPT_WARNINGS)


def aligned_phones(clip: Clip, duration: float) -> list[Phone]:
    return contiguous([Phone(lab, s, e) for lab, s, e in clip.meta["phones"]], duration)


def scored(counts: list[metrics.EventCounts]) -> dict:
    """Event score (and B/O/R/S) of counts pooled over clips, rounded for the results file."""
    if not counts:
        return {}
    score = metrics.event_score(counts)
    return {k: round(v, 4) for k, v in score.as_dict().items()}


def compact(counts: metrics.EventCounts) -> dict[str, list[int]]:
    """One clip's counts per category as [hits, positives, false positives, negatives]."""
    return {c: [getattr(counts, c).hits, getattr(counts, c).positives,
                getattr(counts, c).false_positives, getattr(counts, c).negatives]
            for c in metrics.CATEGORIES}


def boundary_summary(errors: list[np.ndarray]) -> dict:
    """Median and mean |error| (ms) and the share within each of WITHIN_MS."""
    ms = np.concatenate(errors) * 1000.0 if errors else np.zeros(0)
    if ms.size == 0:
        return {}
    out = {"median_ms": round(float(np.median(ms)), 1), "mean_ms": round(float(np.mean(ms)), 1),
           "boundaries": int(ms.size)}
    for limit in WITHIN_MS:
        out[f"within_{limit:.0f}ms"] = round(float(np.mean(ms <= limit)), 3)
    return out


def partly_wrong(own: str, other: str, rng: np.random.Generator) -> str:
    """Half the words (rounded up) of `own` replaced by words of `other` that differ from them."""
    words, spare = own.split(), other.split() or ["banana"]
    for k in rng.choice(len(words), size=(len(words) + 1) // 2, replace=False):
        options = [w for w in spare if w.lower().strip(".,;:!?") != words[k].lower()] \
            or ["banana"]
        words[k] = options[int(rng.integers(len(options)))]
    return " ".join(words)


# ---------------------------------------------------------------------------------------------
# 1. The phone-tier clips, clean and degraded


def run_degraded(seed: int = degrade.SEED) -> dict:
    """Every condition on the four phone-tier clips: event per mode, fall-backs, wrong
    transcripts detected and boundary error of the aligned phones."""
    clips = datasets.english_phone_clips()
    base = {c.name: degrade.from_clip(c) for c in clips}
    transcripts = [c.transcript for c in clips]
    out = {}
    for condition in degrade.CONDITIONS:
        print(f"[bench] unseen: {condition.name} ...", file=sys.stderr, flush=True)
        counts: dict[str, list] = {m: [] for m in MODES}
        errors, per_clip = [], []
        fallbacks = partial = wrong_detected = 0
        for k, clip in enumerate(clips):
            speech = degrade.degrade(base[clip.name], condition, seed)
            path = degrade.cached(speech, condition) if condition.audio_changed else clip.audio
            row: dict = {"clip": clip.name, "seconds": round(speech.duration, 2)}
            for mode in MODES:
                if mode != MODES[0] and not condition.audio_changed:
                    continue  # the same audio as clean: nothing new without a transcript
                text = speech.transcript if mode == MODES[0] else None
                baked = bake_clip(path, text, ENGINE[mode])
                counts[mode].append(metrics.event_counts(metrics.arkit_weights(baked),
                                                         baked.fps, speech.phones))
                row.setdefault("counts", {})[mode] = compact(counts[mode][-1])
                if mode == MODES[0]:
                    row["fell_back"] = fell_back(baked)
                    row["warnings"] = baked.meta["warnings"]
                    row["partly_fell_back"] = partly_fell_back(baked)
                    fallbacks += int(row["fell_back"])
                    partial += int(row["partly_fell_back"])
                    reference = contiguous(speech.phones, speech.duration)  # fillers -> silence
                    err = multilingual.boundary_errors(
                        reference, aligned_phones(baked, speech.duration))
                    errors.append(err)
                    row["boundary_median_ms"] = round(1000 * float(np.median(err)), 1) \
                        if err.size else None
            if condition.audio_changed:  # another clip's transcript on this audio
                wrong = bake_clip(path, transcripts[(k + 1) % len(clips)])
                row["wrong_detected"] = detected(wrong)
                wrong_detected += int(row["wrong_detected"])
            per_clip.append(row)
        out[condition.name] = {
            "description": condition.description,
            "audio_changed": condition.audio_changed,
            "modes": {m: scored(c) for m, c in counts.items() if c},
            "fallbacks": fallbacks,
            "partial_fallbacks": partial,
            "wrong_detected": wrong_detected if condition.audio_changed else None,
            "clips": len(clips),
            "boundary": boundary_summary(errors),
            "per_clip": per_clip,
        }
    return out


def degradation_means(conditions: dict) -> dict:
    """Per mode, the mean event over the audio degradations (every condition but clean and
    the transcript-only one)."""
    names = [c.name for c in degrade.DEGRADED if c.audio_changed]
    return {mode: round(float(np.mean([conditions[n]["modes"][mode]["event"] for n in names])),
                        4) for mode in MODES}


# ---------------------------------------------------------------------------------------------
# 2. Transcribed English clips: matching, wrong and partly wrong transcripts


@dataclass(frozen=True)
class Transcribed:
    name: str
    audio: Path
    transcript: str
    group: str


def transcribed_english() -> list[Transcribed]:
    """Every English clip of ../shared/data with a transcript and no phone tier: LJSpeech,
    multilingual/mfa's English (Common Voice, LibriSpeech, podcast) and the MFA test speaker's
    conversational clips (transcripts in bench/data)."""
    out = [Transcribed(c.name, c.audio, c.transcript, "LJSpeech")
           for c in datasets.ljspeech_clips()]
    out += [Transcribed(c.name, c.audio, c.transcript or "", "multilingual/mfa English")
            for c in multilingual.multilingual_clips() if c.language == "en" and c.transcript]
    base = datasets.data_root() / "multilingual" / "mfa"
    for line in MFA_SPEAKER.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, text = line.split("\t", 1)
            if (base / f"{name}.flac").exists():
                out.append(Transcribed(name, base / f"{name}.flac", text.strip(), MFA_GROUP))
    return out


def _words(text: str) -> set[str]:
    return {w.strip(".,;:!?\"'").lower() for w in text.split()}


def wrong_for(clips: list[Transcribed], k: int) -> str:
    """Another clip's transcript for clip k: the next one in the list that shares under half
    of the words of either (the MFA speaker's clips nearly all say "montreal forced aligner")."""
    own = _words(clips[k].transcript)
    for step in range(1, len(clips)):
        other = clips[(k + step) % len(clips)].transcript
        if len(own & _words(other)) < 0.5 * min(len(own), len(_words(other))):
            return other
    return clips[(k + 1) % len(clips)].transcript


def run_transcripts(seed: int = degrade.SEED) -> dict:
    """Fall-backs with the clip's own transcript; detections with another clip's and with a
    half-replaced one."""
    clips = transcribed_english()
    rng = np.random.default_rng(seed)
    rows = []
    for k, clip in enumerate(clips):
        other = wrong_for(clips, k)
        half = partly_wrong(clip.transcript, other, rng)
        own, wrong, part = (bake_clip(clip.audio, t) for t in (clip.transcript, other, half))
        rows.append({"clip": clip.name, "group": clip.group, "fell_back": fell_back(own),
                     "partly_fell_back": partly_fell_back(own),
                     "own_warnings": own.meta["warnings"],
                     "wrong_detected": detected(wrong), "wrong_flagged": flagged(wrong),
                     "partly_wrong": half, "partly_detected": detected(part),
                     "partly_flagged": flagged(part), "partly_warnings": part.meta["warnings"]})
    groups = {}
    for group in dict.fromkeys(c.group for c in clips):
        part = [r for r in rows if r["group"] == group]
        groups[group] = {"clips": len(part),
                         **{key: sum(r[key] for r in part) for key in
                            ("fell_back", "partly_fell_back", "wrong_detected", "wrong_flagged",
                             "partly_detected", "partly_flagged")}}
    return {"groups": groups, "per_clip": rows}


# ---------------------------------------------------------------------------------------------
# 3. Held-out English voices, on transferred labels


def run_held_out() -> dict:
    """multilingual/mfa's English voices (never trained or tuned on) judged on phones
    transferred from espeak-ng by DTW (bench/multilingual.py), for each mode."""
    counts: dict[str, list] = {m: [] for m in MODES}
    fallbacks, partial, names, errors = 0, 0, [], []
    for clip in multilingual.multilingual_clips():
        if clip.language != "en" or not clip.transcript:
            continue
        names.append(clip.name)
        try:
            samples = load_audio(clip.audio).samples
            phones = multilingual.transfer_phones(samples, clip.transcript, "en").phones
        except Exception as exc:  # a clip without usable labels is reported, not fatal
            errors.append(f"{clip.name}: {type(exc).__name__}: {exc}"[:160])
            continue
        for mode in MODES:
            baked = bake_clip(clip.audio, clip.transcript if mode == MODES[0] else None,
                              ENGINE[mode])
            if mode == MODES[0]:
                fallbacks += int(fell_back(baked))
                partial += int(partly_fell_back(baked))
            counts[mode].append(metrics.event_counts(metrics.arkit_weights(baked), baked.fps,
                                                     phones))
    return {"clips": names, "labelled": len(counts[MODES[0]]), "errors": errors,
            "fallbacks": fallbacks, "partial_fallbacks": partial,
            "modes": {m: scored(c) for m, c in counts.items()}}


# ---------------------------------------------------------------------------------------------
# Report


def _f(value: object, digits: int) -> str:
    if not isinstance(value, int | float) or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"


def _cells(score: dict) -> str:
    if not score:
        return f"{'':>5} {'':>19}"
    return f"{_f(score.get('event'), 3):>5} " + " ".join(
        _f(score.get(c), 2).rjust(4) for c in metrics.CATEGORIES)


def acceptance(payload: dict) -> dict[str, bool]:
    """Issue 14's acceptance, each line measured."""
    conditions, means = payload["conditions"], payload["means"]
    groups = payload["transcripts"]["groups"].values()
    full = sum(c["fallbacks"] for c in conditions.values()) + sum(g["fell_back"] for g in groups)
    partial = sum(c["partial_fallbacks"] for c in conditions.values()) + \
        sum(g["partly_fell_back"] for g in groups)
    wrong_total = sum(c["clips"] for c in conditions.values() if c["audio_changed"]) + \
        sum(g["clips"] for g in groups)
    wrong_found = sum(c["wrong_detected"] or 0 for c in conditions.values()) + \
        sum(g["wrong_detected"] for g in groups)
    held = payload["held_out"]["modes"].get(MODES[1], {}).get("event", math.nan)
    return {
        f"no fall-back with a matching transcript ({full} whole, {partial} in part)":
            full + partial == 0,
        f"wrong transcript detected ({wrong_found}/{wrong_total})": wrong_found == wrong_total,
        f"with transcript, degraded mean {means[MODES[0]]:.3f} >= {TARGET_TRANSCRIPT}":
            means[MODES[0]] >= TARGET_TRANSCRIPT,
        f"no transcript (neural), degraded mean {means[MODES[1]]:.3f} >= {TARGET_NO_TRANSCRIPT}":
            means[MODES[1]] >= TARGET_NO_TRANSCRIPT,
        f"held-out English voices (neural) {held:.3f} >= {TARGET_NO_TRANSCRIPT}":
            held >= TARGET_NO_TRANSCRIPT,
    }


def format_report(payload: dict) -> str:
    head = f"{'':13}" + "".join(f"  {m:25}" for m in MODES)
    sub = f"{'condition':13}" + f"  {'event  B    O    R    S':25}" * len(MODES)
    lines = ["Phone-tier clips (4), clean and degraded; transcript path: fall-backs, wrong "
             "transcripts detected, aligned boundary error", "",
             head + "  fall back  wrong  boundary ms  <=20  <=50",
             sub + "  all part   det.  median mean", "-" * 155]
    for name, c in payload["conditions"].items():
        b = c["boundary"]
        wrong = f"{c['wrong_detected']}/{c['clips']}" if c["audio_changed"] else "-"
        lines.append(f"{name:13}" + "".join(f"  {_cells(c['modes'].get(m, {})):25}"
                                            for m in MODES)
                     + f"  {c['fallbacks']:>3} {c['partial_fallbacks']:>4}  {wrong:>5}"
                     f"  {_f(b.get('median_ms'), 0):>6}"
                     f" {_f(b.get('mean_ms'), 0):>4}  {_f(b.get('within_20ms'), 2):>4}"
                     f"  {_f(b.get('within_50ms'), 2):>4}")
    means = payload["means"]
    lines.append(f"{'mean degraded':13}" + "".join(f"  {_f(means[m], 3):>5}{'':20}"
                                                   for m in MODES))
    lines += ["", "Transcribed English clips (own / wrong / partly wrong transcript):"]
    for group, g in payload["transcripts"]["groups"].items():
        lines.append(f"  {group}: {g['clips']} clips; fell back with their own "
                     f"{g['fell_back']} (in part {g['partly_fell_back']}); wrong detected "
                     f"{g['wrong_detected']}/{g['clips']} "
                     f"(any transcript warning {g['wrong_flagged']}); half wrong detected "
                     f"{g['partly_detected']}/{g['clips']} (any warning {g['partly_flagged']})")
    held = payload["held_out"]
    lines += ["", f"Held-out English voices, transferred labels ({held['labelled']} of "
              f"{len(held['clips'])} clips; fall-backs with transcript {held['fallbacks']}, "
              f"in part {held['partial_fallbacks']}):"]
    for mode, score in held["modes"].items():
        lines.append(f"  {mode:25} {_cells(score)}")
    lines += [f"  not measured: {e}" for e in held["errors"]]
    lines += ["", "Acceptance (issue 14):"]
    lines += [f"  [{'ok' if ok else 'NO'}] {text}" for text, ok in payload["acceptance"].items()]
    return "\n".join(lines)


def format_diff(payload: dict, previous: dict, label: str) -> str:
    """Event and fall-back changes per condition and mode since `previous`."""
    lines = [f"change from {label}:"]
    for name, c in payload["conditions"].items():
        old = previous.get("conditions", {}).get(name)
        if not old:
            continue
        changes = []
        for mode in MODES:
            new_e = c["modes"].get(mode, {}).get("event")
            old_e = old.get("modes", {}).get(mode, {}).get("event")
            if isinstance(new_e, float) and isinstance(old_e, float) and \
                    abs(new_e - old_e) >= 0.0005:
                changes.append(f"{mode} {new_e - old_e:+.3f}")
        for key, title in (("fallbacks", "fall-backs"), ("partial_fallbacks", "in part")):
            if key in old and c[key] != old[key]:
                changes.append(f"{title} {old[key]} -> {c[key]}")
        lines.append(f"  {name}: " + (", ".join(changes) if changes else "no change"))
    for mode in MODES:
        new_m, old_m = payload["means"][mode], previous.get("means", {}).get(mode)
        if isinstance(old_m, float):
            lines.append(f"  mean degraded, {mode}: {old_m:.3f} -> {new_m:.3f}")
    old_held = previous.get("held_out", {}).get("modes", {})
    for mode, score in payload["held_out"]["modes"].items():
        before = old_held.get(mode, {}).get("event")
        if isinstance(before, float) and score:
            lines.append(f"  held-out, {mode}: {before:.3f} -> {score['event']:.3f}")
    return "\n".join(lines)


def main() -> int:
    from .results import git_sha, publish, stamped

    t0 = time.perf_counter()
    conditions = run_degraded()
    print("[bench] unseen: transcribed English clips ...", file=sys.stderr, flush=True)
    transcripts = run_transcripts()
    print("[bench] unseen: held-out English voices ...", file=sys.stderr, flush=True)
    held = run_held_out()
    payload = stamped(git_sha(), seed=degrade.SEED, conditions=conditions,
                      means=degradation_means(conditions), transcripts=transcripts,
                      held_out=held)
    payload["acceptance"] = acceptance(payload)
    payload["seconds"] = round(time.perf_counter() - t0, 1)
    publish(payload, RESULTS_DIR, format_report, format_diff)
    return 0


if __name__ == "__main__":
    sys.exit(main())
