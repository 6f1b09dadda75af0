"""`python -m bench.posterior`: the posterior aligner prototype (core/posterior_align.py, issue
14) measured beside pocketsphinx's, with a model that has the phone head (by default the
leave-one-out fold without FACEGOOD 1114_2_01, exported with `training/export.py
--phone-logp` to build/aligner/; the shipped model has no phone head).

(a) Boundary error against the reference tiers on the four phone-tier clips, clean and in
    every degraded version of bench/degrade.py, for both aligners (pocketsphinx: core/align's
    `align`, every step; its fall-backs to recognition counted).
(b) The clips where pocketsphinx falls back with a matching transcript: does the posterior
    alignment place the words, and how well does it fit.
(c) The fit score with the matching, a wrong and a half-wrong transcript on every transcribed
    English clip bench/unseen.py uses and on the degraded phone-tier clips: a threshold is
    tuned on half of the clips (every other one in each group) and judged on the other half,
    and the other way round.

Results go to bench/posterior_results/<date>-<sha>.json."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from voxrig.core.align import HESITATIONS, align, pronunciations, transcript_words
from voxrig.core.audio import Audio, load_audio
from voxrig.core.audio_resample import resample
from voxrig.core.config import ANALYSIS_RATE, AlignConfig
from voxrig.core.names import SILENCE
from voxrig.core.neural import NeuralEngine
from voxrig.core.phones import Phone, contiguous
from voxrig.core.posterior_align import PosteriorAlignment, align_posteriors

from . import datasets, degrade, multilingual, unseen

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "build" / "aligner" / "fold-1114_2_01-phones.onnx"
RESULTS_DIR = Path(__file__).parent / "posterior_results"
FALLING_BACK = ("multilingual_ipa_us_2", "multilingual_ipa_us_4")  # pocketsphinx: no path


def at_16k(samples: np.ndarray, rate: int) -> np.ndarray:
    samples = np.asarray(samples, np.float32)
    return samples if rate == ANALYSIS_RATE else resample(samples, rate, ANALYSIS_RATE)


def posterior_alignment(engine: NeuralEngine, logp: np.ndarray, text: str, reverse: bool = False
                        ) -> tuple[PosteriorAlignment | None, list[str]]:  # fmt: skip
    """The transcript's words (written hesitations left to the graph's optional ones)
    aligned over the model's phone log posteriors (`reverse`: the words in reverse order, a
    transcript as wrong as the right one but with the same words), and the words."""
    config = AlignConfig()
    words = [w for w in transcript_words(text, config)[0] if w not in HESITATIONS]
    if reverse:
        words = words[::-1]
    variants = pronunciations(words, config)
    result = align_posteriors(logp, [v[0] for v in variants], engine.info.phones,
                              alternatives=[v[1:] for v in variants]) if words else None
    return result, words


def judged(engine: NeuralEngine, logp: np.ndarray, text: str) -> dict:
    """The fit of a transcript and of its words reversed."""
    result, _ = posterior_alignment(engine, logp, text)
    row = fit_row(result)
    reverse, _ = posterior_alignment(engine, logp, text, reverse=True)
    row["reversed_fit"] = None if reverse is None else round(reverse.fit, 3)
    return row


def timed_posteriors(engine: NeuralEngine, samples: np.ndarray) -> tuple[np.ndarray, float]:
    t0 = time.perf_counter()
    logp = engine.phone_log_posteriors(samples)
    return logp, time.perf_counter() - t0


def as_phones(result: PosteriorAlignment, duration: float) -> list[Phone]:
    return contiguous([Phone(label, a / 100.0, min(b / 100.0, duration))
                       for label, a, b in result.phones if a / 100.0 < duration], duration)


def frame_accuracy(logp: np.ndarray, reference: list[Phone], labels: tuple[str, ...]) -> float:
    """Share of 10 ms frames whose most likely phone is the reference tier's (frames of labels
    the model lacks, such as fillers' spn, left out): how well the phone head hears."""
    column = {label: i for i, label in enumerate(labels)}
    truth = np.full(len(logp), -1)
    times = np.arange(len(logp)) / 100.0
    for p in reference:
        a, b = np.searchsorted(times, [p.start, p.end])
        truth[a:b] = column.get(p.label, -1)
    known = truth >= 0
    return float(np.mean(logp.argmax(axis=1)[known] == truth[known])) if known.any() else 0.0


def fit_row(result: PosteriorAlignment | None) -> dict:
    if result is None:
        return {"fit": None}
    frames = {w: b - a for w, a, b in result.words}
    return {"fit": round(result.fit, 3),
            "worst_word_fit": round(float(min(result.word_fit)), 3),
            "words_placed": len(result.words),
            "word_fit": [round(f, 2) for f in result.word_fit],
            "word_frames": [frames.get(w, 0) for w in range(len(result.word_fit))]}


# ---------------------------------------------------------------------------------------------
# (a) boundaries on the phone-tier clips, and (c)'s degraded items


def run_tiers(engine: NeuralEngine, sphinx: bool, seed: int = degrade.SEED) -> dict:
    clips = datasets.english_phone_clips()
    base = {c.name: degrade.from_clip(c) for c in clips}
    rng = np.random.default_rng(seed)
    out = {}
    for condition in degrade.CONDITIONS:
        if not condition.audio_changed:
            continue
        print(f"[bench] posterior: {condition.name} ...", file=sys.stderr, flush=True)
        rows, ours, theirs = [], [], []
        for k, clip in enumerate(clips):
            speech = degrade.degrade(base[clip.name], condition, seed)
            samples = at_16k(speech.samples, speech.rate)
            reference = contiguous(speech.phones, speech.duration)
            logp, seconds = timed_posteriors(engine, samples)
            t0 = time.perf_counter()
            result, _ = posterior_alignment(engine, logp, speech.transcript)
            search = time.perf_counter() - t0
            err = multilingual.boundary_errors(reference, as_phones(result, speech.duration))
            ours.append(err)
            other = clips[(k + 1) % len(clips)].transcript
            row = {"clip": clip.name, "seconds": round(speech.duration, 2),
                   "posterior_seconds": round(seconds, 3), "search_seconds": round(search, 3),
                   "boundary_median_ms": round(1000 * float(np.median(err)), 1),
                   "frame_accuracy": round(frame_accuracy(logp, reference, engine.info.phones), 3),
                   "own": judged(engine, logp, speech.transcript),
                   "wrong": judged(engine, logp, other),
                   "half_wrong": judged(engine, logp,
                                        unseen.partly_wrong(speech.transcript, other, rng))}
            if sphinx:
                audio = Audio(samples, ANALYSIS_RATE, clip.name)
                timeline = align(audio, speech.transcript)
                fell = timeline.source != "forced" or any(unseen.MISMATCH in w
                                                           for w in timeline.warnings)
                err = multilingual.boundary_errors(reference, timeline.phones)
                theirs.append(err)
                row["pocketsphinx"] = {"fell_back": fell,
                                       "boundary_median_ms": round(1000 * float(np.median(err)),
                                                                   1)}
            rows.append(row)
        out[condition.name] = {
            "frame_accuracy": round(float(np.mean([r["frame_accuracy"] for r in rows])), 3),
            "posterior": unseen.boundary_summary(ours),
            "pocketsphinx": unseen.boundary_summary(theirs) if sphinx else None,
            "per_clip": rows,
        }
    return out


# ---------------------------------------------------------------------------------------------
# (b) where pocketsphinx falls back, and (c)'s transcribed clips


def run_transcribed(engine: NeuralEngine, seed: int = degrade.SEED) -> list[dict]:
    clips = unseen.transcribed_english()
    rng = np.random.default_rng(seed)
    rows = []
    print("[bench] posterior: transcribed English clips ...", file=sys.stderr, flush=True)
    for k, clip in enumerate(clips):
        audio = load_audio(clip.audio)
        samples = at_16k(audio.samples, audio.sample_rate)
        other = unseen.wrong_for(clips, k)
        half = unseen.partly_wrong(clip.transcript, other, rng)
        logp, seconds = timed_posteriors(engine, samples)
        own, words = posterior_alignment(engine, logp, clip.transcript)
        row = {"clip": clip.name, "group": clip.group,
               "seconds": round(len(samples) / ANALYSIS_RATE, 2),
               "posterior_seconds": round(seconds, 3),
               "own": judged(engine, logp, clip.transcript),
               "wrong": judged(engine, logp, other), "half_wrong": judged(engine, logp, half)}
        if clip.name in FALLING_BACK and own is not None:
            row["own_words"] = [[words[w], a / 100.0, b / 100.0] for w, a, b in own.words]
            row["own_pauses_s"] = round(sum(b - a for label, a, b in own.phones
                                            if label == SILENCE) / 100.0, 2)
        rows.append(row)
    return rows


def run_speed(engine: NeuralEngine, seconds: float = 60.0, repeats: int = 3) -> dict:
    """Seconds for the model's phone pass and for the search on `seconds` of speech (the
    bundled sample and its transcript said over and over), best of `repeats`."""
    from voxrig.bridge.cli import SAMPLE_AUDIO, SAMPLE_TEXT

    audio = load_audio(SAMPLE_AUDIO)
    one = at_16k(audio.samples, audio.sample_rate)
    times = int(np.ceil(seconds * ANALYSIS_RATE / len(one)))
    samples = np.tile(one, times)[: int(seconds * ANALYSIS_RATE)]
    text = " ".join([Path(SAMPLE_TEXT).read_text(encoding="utf-8").strip()] * times)
    passes, searches = [], []
    for _ in range(repeats):
        logp, took = timed_posteriors(engine, samples)
        passes.append(took)
        t0 = time.perf_counter()
        result, words = posterior_alignment(engine, logp, text)
        searches.append(time.perf_counter() - t0)
    return {"audio_seconds": seconds, "words": len(words), "phone_pass_s": round(min(passes), 3),
            "search_s": round(min(searches), 3), "fit": round(result.fit, 3)}


# ---------------------------------------------------------------------------------------------
# (c) can a threshold on the fit separate matching from wrong transcripts?


def items(tiers: dict, transcribed: list[dict]) -> list[dict]:
    """Every (clip, transcript) judged: group, fold (every other clip of a group), kind."""
    rows = [dict(r, group=f"phone-tier {name}") for name, c in tiers.items()
            for r in c["per_clip"]]
    rows += transcribed
    out, seen = [], {}
    for r in rows:
        fold = seen.get(r["group"], 0) % 2
        seen[r["group"]] = seen.get(r["group"], 0) + 1
        for kind in ("own", "wrong", "half_wrong"):
            fit = r[kind]["fit"]
            out.append({"clip": r["clip"], "group": r["group"], "fold": fold, "kind": kind,
                        "fit": -np.inf if fit is None else fit})
    return out


WRONG_KINDS = {"wrong and half wrong": ("wrong", "half_wrong"), "wrong only": ("wrong",)}


def balanced(rows: list[dict], threshold: float, kinds: tuple[str, ...] = ("wrong", "half_wrong")
             ) -> tuple[float, dict]:  # fmt: skip
    """Balanced accuracy of "fit >= threshold means matching" (matching accepted against
    the mean of each kind of wrong transcript detected) and the counts behind it."""
    own = [r["fit"] >= threshold for r in rows if r["kind"] == "own"]
    counts = {"own_accepted": int(sum(own)), "own": len(own)}
    rates = [np.mean(own)]
    for kind in ("wrong", "half_wrong"):
        caught = [r["fit"] < threshold for r in rows if r["kind"] == kind]
        counts[f"{kind}_detected"], counts[kind] = int(sum(caught)), len(caught)
        if kind in kinds:
            rates.append(np.mean(caught))
    return float(np.mean([rates[0], np.mean(rates[1:])])), counts


def tuned(rows: list[dict], kinds: tuple[str, ...]) -> float:
    """The threshold with the best balanced accuracy on these rows (midway between fits)."""
    fits = np.unique([r["fit"] for r in rows if np.isfinite(r["fit"])])
    candidates = (fits[:-1] + fits[1:]) / 2 if len(fits) > 1 else fits
    return float(max(candidates, key=lambda t: balanced(rows, t, kinds)[0]))


def separation(all_items: list[dict]) -> dict:
    out: dict = {}
    for goal, kinds in WRONG_KINDS.items():
        for fold in (0, 1):
            tune = [r for r in all_items if r["fold"] == fold]
            test = [r for r in all_items if r["fold"] != fold and r["kind"] in ("own", *kinds)]
            threshold = tuned(tune, kinds)
            score, counts = balanced(test, threshold, kinds)
            missed = [f"{r['clip']} ({r['kind']}, {r['fit']:.2f})" for r in test
                      if (r["kind"] == "own") == (r["fit"] < threshold)]
            out.setdefault(goal, {})[f"tuned_on_fold_{fold}"] = {
                "threshold": round(threshold, 3),
                "tune_balanced": round(balanced(tune, threshold, kinds)[0], 4),
                "test_balanced": round(score, 4), **counts, "test_errors": missed}
    by_kind = {k: [r["fit"] for r in all_items if r["kind"] == k]
               for k in ("own", "wrong", "half_wrong")}
    out["fit_quantiles"] = {k: [round(float(q), 2) for q in np.quantile(
        np.maximum(v, -20.0), [0.0, 0.05, 0.5, 0.95, 1.0])] for k, v in by_kind.items()}
    return out


def format_report(payload: dict) -> str:
    lines = ["(a) boundary error vs the reference tiers (median / mean ms, <= 20 / <= 50 ms); "
             "frames whose most likely phone is the tier's",
             f"{'condition':13} {'posterior':>28}   {'pocketsphinx':>28}  frames"]
    for name, c in payload["tiers"].items():
        cells = []
        for key in ("posterior", "pocketsphinx"):
            b = c[key] or {}
            cells.append(f"{b.get('median_ms', '-'):>6} {b.get('mean_ms', '-'):>6} "
                         f"{b.get('within_20ms', '-'):>6} {b.get('within_50ms', '-'):>6}")
        fell = [r["clip"] for r in c["per_clip"] if r.get("pocketsphinx", {}).get("fell_back")]
        lines.append(f"{name:13} {cells[0]:>28}   {cells[1]:>28}  {c['frame_accuracy']:>6}"
                     + (f"  (pocketsphinx fell back: {', '.join(fell)})" if fell else ""))
    lines += ["", "(b) clips pocketsphinx does not align with their own transcript:"]
    for r in payload["transcribed"]:
        if r["clip"] in FALLING_BACK:
            lines.append(f"  {r['clip']}: {r['own']} ({r['seconds']} s)")
    lines += ["", f"speed: {payload['speed']}", "",
              "(c) fit with matching / wrong / half-wrong transcripts:"]
    sep = payload["separation"]
    for k, q in sep["fit_quantiles"].items():
        lines.append(f"  {k:10} min, 5 %, median, 95 %, max: {q}")
    for goal in WRONG_KINDS:
        lines.append(f"  matching against {goal}:")
        for fold in (0, 1):
            s = sep[goal][f"tuned_on_fold_{fold}"]
            lines.append(f"    tuned on fold {fold}: threshold {s['threshold']}, balanced accuracy "
                         f"{s['tune_balanced']} (tune) {s['test_balanced']} (test); test: own "
                         f"accepted {s['own_accepted']}/{s['own']}, wrong detected "
                         f"{s['wrong_detected']}/{s['wrong']}, half wrong detected "
                         f"{s['half_wrong_detected']}/{s['half_wrong']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from .results import git_sha, results_path, stamped, write_results

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=MODEL,
                        help="an ONNX model with the phone_logp output")
    parser.add_argument("--no-pocketsphinx", action="store_true",
                        help="skip pocketsphinx's boundaries (the slow part)")
    args = parser.parse_args(argv)
    if not args.model.is_file():
        print(f"bench.posterior: no model {args.model}: export one with training/export.py "
              "--phone-logp", file=sys.stderr)
        return 1
    engine = NeuralEngine(args.model)
    if not engine.model.has_phone_output:
        print(f"bench.posterior: {args.model} has no phone_logp output", file=sys.stderr)
        return 1
    t0 = time.perf_counter()
    tiers = run_tiers(engine, sphinx=not args.no_pocketsphinx)
    transcribed = run_transcribed(engine)
    speed = run_speed(engine)
    sha = git_sha()
    payload = stamped(sha, model=str(args.model.relative_to(REPO) if args.model.is_relative_to(
        REPO) else args.model), tiers=tiers, transcribed=transcribed, speed=speed)
    payload["separation"] = separation(items(tiers, transcribed))
    payload["seconds"] = round(time.perf_counter() - t0, 1)
    print(format_report(payload))
    write_results(results_path(RESULTS_DIR, sha), payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
