"""Phones from speech with pocketsphinx: forced alignment when the words are known, phone
recognition (allphone) when they are not, and a check that a given transcript really is what
was said, so a wrong transcript degrades to recognition instead of to nonsense timing."""

from __future__ import annotations

import dataclasses
import multiprocessing
from dataclasses import dataclass

import numpy as np
import pocketsphinx

from .audio import Audio, resample
from .config import AlignConfig
from .g2p import pronounce
from .names import SILENCE
from .phones import Phone, PhoneTimeline, Word, contiguous
from .text import normalise_transcript

FRAME = 0.01  # pocketsphinx's frame step in seconds
RATE = 16000  # the sample rate the acoustic model was trained at
_MIN_SECONDS = 0.1  # shorter audio has no phones worth finding
_FILLERS = ("<sil>", "<s>", "</s>")


@dataclass
class _Aligned:
    """One decoded word (or silence) with its phones, in frames, and its acoustic score."""

    word: str
    start: int
    frames: int
    score: int
    phones: list[tuple[str, int, int]]  # label, start frame, frame count


# ------------------------------------------------------------------------------ decoders

_decoders: dict[tuple, pocketsphinx.Decoder] = {}


def _decoder(kind: str, config: AlignConfig) -> pocketsphinx.Decoder:
    """Decoders are slow to build and keep their added words, so one of each kind is reused."""
    key = (kind, config.language, config.topn, config.phone_lm_weight)
    if key not in _decoders:
        model = pocketsphinx.get_model_path(config.language)
        common = dict(
            hmm=f"{model}/{config.language}",
            dict=f"{model}/cmudict-{config.language}.dict",
            topn=config.topn,
            loglevel="FATAL",
        )
        if kind == "align":
            _decoders[key] = pocketsphinx.Decoder(lm=None, bestpath=False, **common)
        else:
            phone_lm = f"{model}/{config.language}-phone.lm.bin"
            _decoders[key] = pocketsphinx.Decoder(
                allphone=phone_lm, lm=None, lw=config.phone_lm_weight, **common
            )
    return _decoders[key]


def _pcm(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def _decode(decoder: pocketsphinx.Decoder, pcm: bytes) -> None:
    # The feature front end keeps state between utterances; start each afresh so the result
    # depends on this audio only, not on what was decoded before.
    decoder.reinit_feat()
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()


# ------------------------------------------------------------------------- recognition


def _allphone_segments(samples: np.ndarray, config: AlignConfig) -> list[tuple[str, int, int]]:
    decoder = _decoder("allphone", config)
    _decode(decoder, _pcm(samples))
    return [(s.word, s.start_frame, s.end_frame + 1) for s in decoder.seg()]


def _pause_near_middle(samples: np.ndarray, search_seconds: float = 4.0) -> int:
    """Sample index of the quietest 100 ms near the middle: a cut there splits no phone."""
    hop = RATE // 100
    n = len(samples) // hop
    energy = np.convolve((samples[: n * hop].reshape(n, hop) ** 2).mean(axis=1),
                         np.ones(10) / 10, mode="same")  # fmt: skip
    middle, reach = n // 2, int(search_seconds / FRAME)
    lo, hi = max(1, middle - reach), min(n - 1, middle + reach)
    return (lo + int(np.argmin(energy[lo:hi]))) * hop


def _in_two_processes(task, here: tuple, there: tuple) -> tuple:
    """task(*here) in this process while task(*there) runs in a forked one (the decoders
    already built are inherited, so the second process starts in milliseconds)."""
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        pending = pool.apply_async(task, there)
        first = task(*here)
        return first, pending.get()


def _worth_splitting(samples: np.ndarray, config: AlignConfig) -> bool:
    """Two processes only where a fork is possible and cheap: not on platforms without fork,
    and not inside a daemonic worker (a batch runner's pool), which may not have children."""
    return (
        config.workers >= 2
        and len(samples) >= config.parallel_min_seconds * RATE
        and "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    )


def _recognise_segments(samples: np.ndarray, config: AlignConfig) -> list[tuple[str, int, int]]:
    """Allphone over the audio; long audio is cut at a pause and the halves decoded in two
    processes, which halves the wall time on a two-core machine."""
    if not _worth_splitting(samples, config):
        return _allphone_segments(samples, config)
    cut = _pause_near_middle(samples)
    first, later = _in_two_processes(
        _allphone_segments, (samples[:cut], config), (samples[cut:], config)
    )
    shift = cut // (RATE // 100)
    return first + [(label, start + shift, end + shift) for label, start, end in later]


# --------------------------------------------------------------------------- alignment


def _add_unknown(decoder: pocketsphinx.Decoder, words: list[str]) -> None:
    unknown = [w for w in dict.fromkeys(words) if decoder.lookup_word(w) is None]
    for i, word in enumerate(unknown):
        decoder.add_word(word, " ".join(pronounce(word) or ["AH"]), i == len(unknown) - 1)


def _forced(samples: np.ndarray, words: list[str], config: AlignConfig) -> list[_Aligned] | None:
    """Two-pass pocketsphinx alignment; None when no path through the words exists."""
    decoder = _decoder("align", config)
    _add_unknown(decoder, words)
    try:
        decoder.set_align_text(" ".join(words))
    except RuntimeError:
        return None
    pcm = _pcm(samples)
    _decode(decoder, pcm)
    if decoder.hyp() is None:
        return None
    decoder.set_alignment()
    _decode(decoder, pcm)
    alignment = decoder.get_alignment()
    if alignment is None:
        return None
    result = []
    for entry in alignment:
        phones = [(p.name, p.start, p.duration) for p in entry]
        result.append(_Aligned(entry.name, entry.start, entry.duration, entry.score, phones))
    return result


def _forced_in_halves(samples: np.ndarray, words: list[str], config: AlignConfig
                      ) -> list[_Aligned] | None:  # fmt: skip
    """Long audio: cut at a pause, find which words the first half holds, and align the two
    halves in two processes. Falls back to one alignment of the whole when a half does not
    fit, so a badly placed cut costs time, never accuracy."""
    if _worth_splitting(samples, config) and len(words) >= 8:
        cut = _pause_near_middle(samples)
        k = _spoken_run(samples[:cut], words, config, skip=False)[1]
        if 0 < k < len(words):
            first, second = _in_two_processes(
                _forced, (samples[:cut], words[:k], config), (samples[cut:], words[k:], config)
            )
            if (_mismatch(first, words[:k], config) is None
                    and _mismatch(second, words[k:], config) is None):  # fmt: skip
                assert first is not None and second is not None
                shift = cut // (RATE // 100)
                return first + [_shifted(a, shift) for a in second]
    return _forced(samples, words, config)


def _shifted(a: _Aligned, frames: int) -> _Aligned:
    phones = [(label, start + frames, n) for label, start, n in a.phones]
    return _Aligned(a.word, a.start + frames, a.frames, a.score, phones)


def _spoken_run(samples: np.ndarray, words: list[str], config: AlignConfig, skip: bool = True
                ) -> tuple[int, int]:  # fmt: skip
    """Which run `words[start:end]` is spoken in this audio, for a chunk of a long file: a
    grammar that may stop after any word (the chunk ends mid-transcript), and, at a small
    cost, skip leading words (transcript words that were never said) finds the best fit.
    (0, 0) for a chunk without speech."""
    decoder = _decoder("align", config)
    _add_unknown(decoder, words)
    n = len(words)
    transitions = [(i, i + 1, 1.0, w) for i, w in enumerate(words)]
    transitions += [(i, n, 1e-3) for i in range(n)]
    if skip:
        transitions += [(0, i, config.skip_probability) for i in range(1, n)]
    decoder.add_fsg("run", decoder.create_fsg("run", 0, n, transitions))
    decoder.activate_search("run")
    _decode(decoder, _pcm(samples))
    hyp = decoder.hyp()
    heard = hyp.hypstr.split() if hyp is not None and hyp.hypstr else []
    if not heard:
        return 0, 0
    for start in range(n - len(heard) + 1):
        if words[start : start + len(heard)] == heard:
            return start, start + len(heard)
    return 0, 0


def _mismatch(aligned: list[_Aligned] | None, words: list[str], config: AlignConfig) -> str | None:
    """Why the transcript does not fit the audio, or None when it does. Scores are per frame
    relative to the best-scoring model state, so speech that the words cannot explain shows up
    as very low scores: over the words (wrong words) or in 'silences' (words missing)."""
    if aligned is None:
        return "the transcript could not be aligned to the audio"
    spoken = [a for a in aligned if a.word not in _FILLERS]
    if not spoken:
        return "no transcript word could be aligned to the audio"
    if len(spoken) < len(words):
        return f"only {len(spoken)} of {len(words)} transcript words fit the audio"
    plausible = [a.score / max(a.frames, 1) >= config.min_frame_score for a in spoken]
    share = float(np.mean(plausible))
    if share < config.min_match:
        return f"only {share:.0%} of the transcript words match the audio"
    word_seconds = sum(a.frames for a in spoken) * FRAME
    uncovered = sum(
        a.frames * FRAME
        for a in aligned
        if a.word == "<sil>" and a.frames * FRAME >= 0.3
        and a.score / a.frames < config.min_frame_score
    )  # fmt: skip
    if uncovered >= config.max_uncovered_seconds and uncovered >= 0.15 * word_seconds:
        return f"{uncovered:.1f} s of speech are not in the transcript"
    return None


# ---------------------------------------------------------------------------- timelines


def _timeline(segments: list[tuple[str, int, int]], duration: float, source: str) -> PhoneTimeline:
    """Contiguous phones over [0, duration] from (label, start frame, end frame) segments:
    gaps become silence, neighbouring silences merge, the last phone ends at `duration`."""
    phones = [Phone(label, start * FRAME, end * FRAME) for label, start, end in segments]
    return PhoneTimeline(contiguous(phones, duration), duration, source)


def _aligned_timeline(aligned: list[_Aligned], words: list[str], duration: float) -> PhoneTimeline:
    segments = [(label, start, start + n) for a in aligned if a.word not in _FILLERS
                for label, start, n in a.phones]  # fmt: skip
    timeline = _timeline(segments, duration, "forced")
    spoken = [a for a in aligned if a.word not in _FILLERS]
    timeline.words = [
        Word(text, a.start * FRAME, min((a.start + a.frames) * FRAME, duration))
        for text, a in zip(words, spoken, strict=False)
    ]
    return timeline


def _at_16k(audio: Audio) -> Audio:
    """pocketsphinx's en-us model is for 16 kHz; other rates are resampled here."""
    if audio.sample_rate == RATE:
        return audio
    samples = resample(audio.samples, audio.sample_rate, RATE)
    return dataclasses.replace(audio, samples=samples, sample_rate=RATE)


def _silent(audio: Audio, source: str) -> PhoneTimeline:
    return PhoneTimeline([Phone(SILENCE, 0.0, audio.duration)], audio.duration, source)


# ------------------------------------------------------------------------------- public


def recognise(audio: Audio, config: AlignConfig | None = None) -> PhoneTimeline:
    """Phones heard in the audio without knowing the words (pocketsphinx allphone)."""
    config = config or AlignConfig()
    audio = _at_16k(audio)
    if audio.duration < _MIN_SECONDS:
        return _silent(audio, "recognised")
    segments = _recognise_segments(audio.samples, config)
    return _timeline(segments, audio.duration, "recognised")


def _align_words(audio: Audio, words: list[str], config: AlignConfig, where: str = ""
                 ) -> PhoneTimeline:  # fmt: skip
    """Forced alignment of normalised words, or recognition with the reason as a warning."""
    audio = _at_16k(audio)
    if audio.duration < _MIN_SECONDS:
        return _silent(audio, "forced")
    aligned = _forced_in_halves(audio.samples, words, config) if words else None
    reason = _mismatch(aligned, words, config)
    if reason is not None:
        timeline = recognise(audio, config)
        timeline.warnings.append(f"transcript does not match the audio{where} ({reason}); "
                                 "phones were recognised instead")  # fmt: skip
        return timeline
    assert aligned is not None
    return _aligned_timeline(aligned, words, audio.duration)


_NO_WORDS = "transcript has no words to align; phones were recognised"


def align(audio: Audio, transcript: str, config: AlignConfig | None = None) -> PhoneTimeline:
    """Phones and words timed by forcing the transcript onto the audio. A transcript that does
    not match what is said falls back to `recognise` with the reason in `warnings`."""
    config = config or AlignConfig()
    words = normalise_transcript(transcript)
    if not words:
        timeline = recognise(audio, config)
        timeline.warnings.append(_NO_WORDS)
        return timeline
    return _align_words(audio, words, config)


def phones_for(audio: Audio, transcript: str | None, config: AlignConfig | None = None
               ) -> PhoneTimeline:  # fmt: skip
    """Alignment when there is a transcript, recognition when there is none."""
    if transcript and transcript.strip():
        return align(audio, transcript, config)
    return recognise(audio, config)


class ChunkedAligner:
    """Phones for an input processed chunk by chunk (one chunk for a short file, several cut
    at pauses for a long one). The transcript is consumed as the speech goes: each chunk is
    aligned against the run of the words still to come that it holds; words that a chunk
    skips over (never said, or in a chunk whose alignment failed) are reported and dropped.
    A single chunk is aligned exactly as `align` does; no transcript means `recognise`."""

    def __init__(self, transcript: str | None, config: AlignConfig | None = None):
        self.config = config or AlignConfig()
        self.pending: list[str] = normalise_transcript(transcript) if transcript else []
        self.had_transcript = bool(self.pending)
        self.empty_transcript = bool(transcript and transcript.strip()) and not self.pending
        self.first = True

    def next(self, chunk: Audio, is_last: bool) -> PhoneTimeline:
        chunk = _at_16k(chunk)
        only_chunk, self.first = self.first and is_last, False
        if not self.pending:
            timeline = recognise(chunk, self.config)
            if self.empty_transcript:
                timeline.warnings.append(_NO_WORDS)
                self.empty_transcript = False  # said once, not per chunk
            elif self.had_transcript and chunk.duration >= 1.0:
                timeline.warnings.append("transcript ended before the audio; "
                                         "phones of the rest were recognised")  # fmt: skip
            return timeline
        if only_chunk:
            return _align_words(chunk, self.pending, self.config)
        # at most a fast talker's worth of words: keeps the search small
        limit = max(20, int(chunk.duration * self.config.max_words_per_second))
        offered = self.pending if is_last else self.pending[:limit]
        start, end = (_spoken_run(chunk.samples, offered, self.config)
                      if chunk.duration >= _MIN_SECONDS else (0, 0))  # fmt: skip
        if end == 0:  # a pause or noise between sentences: nothing to align here
            timeline = recognise(chunk, self.config)
            if is_last:
                timeline.warnings.append(f"{len(self.pending)} transcript words at the end "
                                         "were not heard in the audio")  # fmt: skip
            return timeline
        where = f" at {chunk.offset:.1f} s"
        timeline = _align_words(chunk, offered[start:end], self.config, where)
        if timeline.source != "forced":
            return timeline  # its words stay pending: a later chunk may skip past them
        if start:
            unheard = " ".join(offered[:start][:8])
            timeline.warnings.append(f"{start} transcript words before{where} were not heard "
                                     f"in the audio: '{unheard}...'")  # fmt: skip
        if is_last and end < len(self.pending):
            timeline.warnings.append(f"{len(self.pending) - end} transcript words at the end "
                                     "were not heard in the audio")  # fmt: skip
        self.pending = self.pending[end:]
        return timeline
