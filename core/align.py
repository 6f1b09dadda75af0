"""Phones from speech with pocketsphinx: forced alignment when the words are known, phone
recognition (allphone) when they are not, and a check that a given transcript really is what
was said, so a wrong transcript degrades to recognition instead of to nonsense timing."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pocketsphinx

from . import espeak_phones
from .audio import Audio
from .audio_resample import resample
from .background import can_fork, in_two_processes
from .config import ANALYSIS_RATE as RATE  # the rate the acoustic model was trained at
from .config import AlignConfig
from .features import loudness_db, runs, speech_level
from .g2p import pronounce
from .names import SILENCE
from .phones import Phone, PhoneTimeline, Word, contiguous
from .stretch import wsola
from .transcript import normalise_transcript, strip_tags

FRAME = 0.01  # pocketsphinx's frame step in seconds
_MIN_SECONDS = 0.1  # shorter audio has no phones worth finding
_FILLERS = ("<sil>", "<s>", "</s>", "[NOISE]", "[SPEECH]")  # pocketsphinx's non-words
# Hesitations people say and seldom write; the grammar lets them in between any two words
# (CMUdict: uh AH, um AH M, hm HH M), so their phones move the mouth instead of being
# forced into the neighbouring words.
HESITATIONS = ("uh", "um", "hm")


@dataclass
class _Aligned:
    """One decoded word (or silence) with its phones, in frames, and its acoustic score.
    `index` is the transcript word it is (None for a silence, a hesitation or a repeat)."""

    word: str
    start: int
    frames: int
    score: int
    phones: list[tuple[str, int, int]]  # label, start frame, frame count
    index: int | None = None

    @property
    def said(self) -> bool:
        """Speech that is not a transcript word: a hesitation or a restart."""
        return self.index is None and self.word not in _FILLERS


# ------------------------------------------------------------------------------ decoders

_decoders: dict[tuple, pocketsphinx.Decoder] = {}


def _decoder(kind: str, config: AlignConfig) -> pocketsphinx.Decoder:
    """Decoders are slow to build and keep their added words, so one of each kind is reused."""
    key = (kind, config.language, config.topn, config.phone_lm_weight, config.beam,
           config.word_beam, config.last_beam)
    if key not in _decoders:
        _decoders[key] = new_decoder(kind, config)
    return _decoders[key]


def new_decoder(kind: str, config: AlignConfig) -> pocketsphinx.Decoder:
    """A fresh pocketsphinx decoder: "align" (the words as written), "wide" / "widest" (wider
    beams), "words" (word recognition with pocketsphinx's own language model) or "allphone"
    (phone recognition, also the streaming engine's). The one place the acoustic model, the
    dictionary and the beams are set up."""
    model = pocketsphinx.get_model_path(config.language)
    common = dict(
        hmm=f"{model}/{config.language}",
        dict=f"{model}/cmudict-{config.language}.dict",
        topn=config.topn,
        loglevel="FATAL",
    )
    if kind == "align":
        return pocketsphinx.Decoder(lm=None, bestpath=False, **common)
    if kind in ("wide", "widest"):
        beam = config.beam if kind == "wide" else config.last_beam
        return pocketsphinx.Decoder(
            lm=None, bestpath=False, beam=beam, pbeam=beam,
            wbeam=config.word_beam if kind == "wide" else config.last_beam, **common
        )
    if kind == "words":
        return pocketsphinx.Decoder(lm=f"{model}/{config.language}.lm.bin", **common)
    phone_lm = f"{model}/{config.language}-phone.lm.bin"
    return pocketsphinx.Decoder(allphone=phone_lm, lm=None, lw=config.phone_lm_weight, **common)


def _pcm(samples: np.ndarray) -> bytes:
    """16-bit PCM. Samples that would be exactly 0 get a fixed ±1 LSB dither: pocketsphinx
    finds no path through digital silence (a synthesiser's or an editor's); everything else
    is as recorded, and a fixed dither keeps results depending on the audio alone."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    silent = pcm == 0
    pcm[silent] = np.random.default_rng(0).integers(-1, 2, len(pcm))[silent]
    return pcm.tobytes()


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


def _energy_db(samples: np.ndarray) -> np.ndarray:
    """Level of the 100 ms around each 10 ms frame, in dB: all the sound, rumble and breath
    included, where a cut must not fall (features.loudness_db hears the voice band only;
    choosing cuts with it moved 17 of 33 sampled cut points, so the two are kept apart)."""
    hop = RATE // 100
    n = len(samples) // hop
    energy = np.convolve((samples[: n * hop].reshape(n, hop) ** 2).mean(axis=1),
                         np.ones(10) / 10, mode="same")  # fmt: skip
    return 10.0 * np.log10(energy + 1e-12)


def _quietest(samples: np.ndarray, lo: float, hi: float, near: float | None = None) -> int:
    """Sample index of the quietest 100 ms between `lo` and `hi` seconds: a cut there splits
    no phone. With `near`, the pause closest to `near` seconds instead: any 100 ms nearly as
    quiet as the quietest, or PAUSE_DEPTH_DB below the voice, is a pause too."""
    hop = RATE // 100
    db = _energy_db(samples)
    n = len(db)
    first, last = max(1, int(lo / FRAME)), min(n - 1, int(hi / FRAME))
    if last <= first:
        return min(max(first, 0), n) * hop
    window = db[first:last]
    quietest = int(np.argmin(window))
    if near is None:
        return (first + quietest) * hop
    pause = max(window[quietest] + PAUSE_MARGIN_DB, np.percentile(db, 95) - PAUSE_DEPTH_DB)
    candidates = np.flatnonzero(window <= pause)
    best = candidates[np.argmin(np.abs(candidates + first - near / FRAME))]
    return (first + int(best)) * hop


PAUSE_MARGIN_DB = 3.0  # this close to the quietest 100 ms of the search, a frame is a pause
PAUSE_DEPTH_DB = 40.0  # or this far below the loud (95th percentile) frames of the audio


def _pause_near_middle(samples: np.ndarray, search_seconds: float = 4.0) -> int:
    """The pause nearest the middle: two halves of equal length take equal time to decode
    (the quietest point of the search alone left one half a quarter longer)."""
    middle = len(samples) / RATE / 2
    return _quietest(samples, middle - search_seconds, middle + search_seconds, near=middle)


def _worth_splitting(samples: np.ndarray, config: AlignConfig) -> bool:
    """Two processes only for long audio, and where a fork is possible (core/background)."""
    return (config.workers >= 2 and len(samples) >= config.parallel_min_seconds * RATE
            and can_fork())  # fmt: skip


def _recognise_segments(samples: np.ndarray, config: AlignConfig) -> list[tuple[str, int, int]]:
    """Allphone over the audio; long audio is cut at a pause and the halves decoded in two
    processes, which halves the wall time on a two-core machine."""
    if not _worth_splitting(samples, config):
        return _allphone_segments(samples, config)
    cut = _pause_near_middle(samples)
    first, later = in_two_processes(
        _allphone_segments, (samples[:cut], config), (samples[cut:], config)
    )
    shift = cut // (RATE // 100)
    return first + [(label, start + shift, end + shift) for label, start, end in later]


# --------------------------------------------------------------------------- alignment


def _add_unknown(decoder: pocketsphinx.Decoder, words: list[str]) -> None:
    unknown = [w for w in dict.fromkeys(words) if decoder.lookup_word(w) is None]

    def known(word: str) -> list[str] | None:  # the decoder's own CMUdict, already loaded
        phones = decoder.lookup_word(word)
        return phones.split() if phones else None

    for i, word in enumerate(unknown):
        phones = pronounce(word, known) or ["AH"]
        decoder.add_word(word, " ".join(phones), i == len(unknown) - 1)


def pronunciations(words: list[str], config: AlignConfig) -> list[list[list[str]]]:
    """Each normalised word's pronunciations as the forced alignment knows them, the first
    first: pocketsphinx's CMUdict entries ("the", "the(2)", ...), or the one `_add_unknown`
    gave a word it lacks."""
    decoder = _decoder("align", config)
    _add_unknown(decoder, words)
    out = []
    for word in words:
        found = [decoder.lookup_word(word).split()]
        while (more := decoder.lookup_word(f"{word}({len(found) + 1})")) is not None:
            found.append(more.split())
        out.append(found)
    return out


def _use_grammar(decoder: pocketsphinx.Decoder, words: list[str], config: AlignConfig) -> None:
    """The transcript as a grammar that also lets in what people say and do not write: a
    hesitation between any two words, the last word said again (a restart), and a written
    hesitation left unsaid. pocketsphinx adds its own optional silences and noises."""
    # Nothing is let in after the last word: there, speech the transcript lacks would pass
    # for hesitations and repeats.
    n = len(words)
    transitions = [(i, i + 1, 1.0, w) for i, w in enumerate(words)]
    transitions += [(i, i, config.filler_probability, h) for i in range(n) for h in HESITATIONS]
    transitions += [(i, i, config.repeat_probability, words[i - 1]) for i in range(1, n)]
    transitions += [(i, i + 1, config.unsaid_filler_probability)
                    for i, w in enumerate(words) if w in HESITATIONS]  # fmt: skip
    decoder.add_fsg("words", decoder.create_fsg("words", 0, n, transitions))
    decoder.activate_search("words")


def _transcript_indices(heard: list[str], words: list[str]) -> list[int | None]:
    """Which transcript word each decoded word is, in order; None for the extras the grammar
    let in (hesitations, repeats, silences). Unsaid written hesitations are stepped over."""
    out: list[int | None] = []
    k = 0
    for word in heard:
        j = k
        while j < len(words) and words[j] != word and words[j] in HESITATIONS:
            j += 1
        if j < len(words) and words[j] == word:
            out.append(j)
            k = j + 1
        else:
            out.append(None)
    return out


def _base_word(name: str) -> str:
    """pocketsphinx names alternative pronunciations "word(2)"."""
    return name.split("(", 1)[0] if name.endswith(")") else name


def _forced(samples: np.ndarray, words: list[str], config: AlignConfig, kind: str = "align"
            ) -> list[_Aligned] | None:  # fmt: skip
    """Two-pass pocketsphinx alignment; None when no path through the words exists. The
    "align" decoder forces the words as written (pocketsphinx's beams: fast, and what the
    reference tiers were measured with); "wide" first finds what was said with the
    transcript grammar (hesitations, restarts) and wide beams, for speech the first cannot
    follow (noise, reverb, telephone band), then aligns that — or the words as written, when
    the grammar found no path."""
    decoder = _decoder(kind, config)
    _add_unknown(decoder, words)
    pcm = _pcm(samples)
    attempts = [words]
    if kind in ("wide", "widest"):
        _use_grammar(decoder, words, config)
        _decode(decoder, pcm)
        hyp = decoder.hyp()
        if hyp is not None and hyp.hypstr.strip():
            heard = [_base_word(w) for w in hyp.hypstr.split() if w not in _FILLERS]
            attempts = [heard, words] if heard != words else [words]
    for attempt in attempts:
        alignment = _two_pass(decoder, attempt, pcm)
        if alignment is not None:
            return _entries(alignment, words)
    return None


def _two_pass(decoder: pocketsphinx.Decoder, words: list[str], pcm: bytes):  # noqa: ANN202
    """pocketsphinx's word alignment, then its phone alignment within the words; None when
    either pass finds no path (pocketsphinx raises when a phone pass cannot end its
    utterance: seen on slowed audio with a wrong transcript)."""
    try:
        decoder.set_align_text(" ".join(words))
        _decode(decoder, pcm)
        if decoder.hyp() is None:
            return None
        decoder.set_alignment()
        _decode(decoder, pcm)
    except RuntimeError:
        return None
    return decoder.get_alignment()


def _entries(alignment, words: list[str]) -> list[_Aligned]:  # noqa: ANN001
    result = []
    for entry in alignment:
        phones = [(p.name, p.start, p.duration) for p in entry]
        name = entry.name if entry.name in _FILLERS else _base_word(entry.name)
        result.append(_Aligned(name, entry.start, entry.duration, entry.score, phones))
    spoken = [a for a in result if a.word not in _FILLERS]
    for a, index in zip(spoken, _transcript_indices([a.word for a in spoken], words),
                        strict=True):  # fmt: skip
        a.index = index
    return result


def _forced_in_halves(samples: np.ndarray, words: list[str], config: AlignConfig,
                      loud: np.ndarray | None = None) -> list[_Aligned] | None:
    """Long audio: cut at a pause, find which words the first half holds, and align the two
    halves in two processes. Falls back to one alignment of the whole when a half does not
    fit, so a badly placed cut costs time, never accuracy. `loud` (per 10 ms frame: loud as
    a voice) helps find the words around the cut quickly."""
    if _worth_splitting(samples, config) and len(words) >= 8:
        cut = _pause_near_middle(samples)
        k = _words_before(samples, cut, words, config, loud)
        if 0 < k < len(words):
            first, second = in_two_processes(
                _forced, (samples[:cut], words[:k], config), (samples[cut:], words[k:], config)
            )
            if (_mismatch(first, words[:k], config) is None
                    and _mismatch(second, words[k:], config) is None):  # fmt: skip
                assert first is not None and second is not None
                shift = cut // (RATE // 100)
                return first + [_shifted(a, shift, k) for a in second]
    return _forced(samples, words, config)


LOOKBACK_SECONDS = (6.0, 10.0)  # how far before a cut the search for its last word starts
WINDOW_MIN_WORDS = 12  # transcript words either side of the estimate searched at least


def _words_before(samples: np.ndarray, cut: int, words: list[str], config: AlignConfig,
                  loud: np.ndarray | None) -> int:
    """How many transcript words are said before `cut`, a pause. Decoding the whole first
    half to learn it costs as much as aligning it, so only its last seconds are decoded (from
    a pause), against the words around where the share of speech before the cut says the
    cut lies; that search must find a run strictly inside its window, else the whole first
    half is decoded."""
    n = len(words)
    if loud is not None and loud.any():
        share = np.count_nonzero(loud[: cut // (RATE // 100)]) / np.count_nonzero(loud)
        estimate = round(share * n)
        reach = max(WINDOW_MIN_WORDS, n // 5)
        lo, hi = max(0, estimate - reach), min(n, estimate + reach)
        seconds = cut / RATE
        start = _quietest(samples, seconds - LOOKBACK_SECONDS[1], seconds - LOOKBACK_SECONDS[0])
        first, end = _spoken_run(samples[start:cut], words[lo:hi], config)
        inside = (first > 0 or lo == 0) and (lo + end < hi or hi == n)
        if end - first >= 3 and inside:
            return lo + end
    return _spoken_run(samples[:cut], words, config, skip=False)[1]


def _shifted(a: _Aligned, frames: int, words: int = 0) -> _Aligned:
    """The same entry `frames` later, its transcript index `words` further on."""
    phones = [(label, start + frames, n) for label, start, n in a.phones]
    index = None if a.index is None else a.index + words
    return _Aligned(a.word, a.start + frames, a.frames, a.score, phones, index)


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


NO_PATH = "the transcript could not be aligned to the audio"  # pocketsphinx found no path


def _mismatch(aligned: list[_Aligned] | None, words: list[str], config: AlignConfig,
              voiced: _Voicing | None = None, judge_share: bool = True
              ) -> str | None:  # fmt: skip
    """Why the transcript does not fit the audio, or None when it does. Scores are per frame
    relative to the best-scoring model state, so speech that the words cannot explain shows up
    as very low scores: over the words (wrong words), or in 'silences' and hesitations (words
    missing). `voiced` (per 10 ms frame: loud as a voice) keeps a noisy pause or a breath,
    which the silence model does not fit either, from counting as missing words. Without
    `judge_share`, low word scores alone (which noise causes too) are no reason."""
    if aligned is None:
        return NO_PATH
    spoken = [a for a in aligned if a.index is not None]
    if not spoken:
        return "no transcript word could be aligned to the audio"
    needed = [w for w in words if w not in HESITATIONS]
    placed = sum(1 for a in spoken if words[a.index] not in HESITATIONS)
    if placed < len(needed):
        return f"only {placed} of {len(needed)} transcript words fit the audio"
    share = _plausible_share(spoken, config)
    if judge_share and share < config.min_match:
        return f"only {share:.0%} of the transcript words match the audio"
    word_seconds = sum(a.frames for a in spoken) * FRAME
    said = sum(a.frames for a in aligned if a.said) * FRAME
    if said > HESITATION_MAX_RATIO * word_seconds + HESITATION_MAX_SECONDS:
        return f"{said:.1f} s of speech are not in the transcript"
    uncovered = sum(
        _voiced_frames(a, voiced) * FRAME
        for a in aligned
        if a.word == "<sil>" and a.frames * FRAME >= 0.3
        and (a.score / max(a.frames, 1) < config.min_frame_score or _speechlike(a, voiced))
    ) + sum(frames * FRAME for frames, score in _hesitation_runs(aligned)
            if score / frames < EXTRA_MIN_FRAME_SCORE)  # fmt: skip
    if uncovered >= config.max_uncovered_seconds and uncovered >= 0.15 * word_seconds:
        return f"{uncovered:.1f} s of speech are not in the transcript"
    return None


def _hesitation_runs(aligned: list[_Aligned]) -> list[tuple[int, int]]:
    """(frames, score) of each run of hesitations and repeats the grammar let in, with only
    short silences between them. A long "ummm" comes out as several fillers in a row, some
    of which fit badly on their own (its middle is a hum no short "um" model matches): it is
    judged as one stretch, as speech missing from the transcript is."""
    runs: list[tuple[int, int]] = []
    open_run = False
    for a in aligned:
        if a.said:
            if open_run:
                frames, score = runs[-1]
                runs[-1] = (frames + a.frames, score + a.score)
            else:
                runs.append((a.frames, a.score))
            open_run = True
        elif a.index is not None or a.frames * FRAME > HESITATION_JOIN_SECONDS:
            open_run = False
    return runs


HESITATION_JOIN_SECONDS = 0.1  # hesitations with no longer a silence between are one run


def _speechlike(a: _Aligned, voiced: _Voicing | None) -> bool:
    """A 'silence' that is mostly loud as a voice, in audio clean enough for loudness to
    tell (`voiced` is None in noisy audio): pocketsphinx's silence model scores even speech
    well, so a one-word transcript of a whole sentence would otherwise pass."""
    if voiced is None or a.frames * FRAME < SPEECHLIKE_SECONDS:
        return False
    loud = np.count_nonzero(voiced[a.start : a.start + a.frames])
    return loud >= SPEECHLIKE_SHARE * a.frames


# A 'silence' this long with this share of its frames loud as a voice is speech, not a pause
# (an unwritten "um" is shorter: the grammar step gives it its phones instead).
SPEECHLIKE_SECONDS = 0.8
SPEECHLIKE_SHARE = 0.4


def _voiced_frames(a: _Aligned, voiced: _Voicing | None) -> int:
    """Frames of an entry that sound like a voice: all of it when most of it does (speech
    has quiet consonants), else only its loud frames (a breath or a click in a pause)."""
    if voiced is None:
        return a.frames
    loud = int(np.count_nonzero(voiced[a.start : a.start + a.frames]))
    return a.frames if loud >= 0.5 * a.frames else loud


# A hesitation or repeat the grammar let in must fit at least this well (per 10 ms frame,
# as min_frame_score): a real "um" scores -5..-30, speech missing from the transcript that
# the search explained as hesitations scores lower.
EXTRA_MIN_FRAME_SCORE = -30.0
# Hesitations and repeats together last at most this many times the words, plus this many
# seconds: beyond, the grammar is explaining speech the transcript lacks (a one-word
# transcript for a whole sentence), not hesitations.
HESITATION_MAX_RATIO = 3.0
HESITATION_MAX_SECONDS = 1.5
VOICE_RANGE_DB = 20.0  # a frame this close to the speaker's vowel level is loud as a voice
PAUSE_MIN_SECONDS = 0.25  # quiet this long is a pause the audio may be cut at
PIECE_MIN_SECONDS = 0.8  # shorter pieces join their neighbour


def _levels(samples: np.ndarray) -> tuple[np.ndarray, float]:
    """Loudness per 10 ms frame (frame i at i * FRAME) and the voice's vowel level."""
    db = loudness_db(samples, RATE, 1.0 / FRAME)
    return db, speech_level(db)


NOISY_SNR_DB = 25.0  # vowel level over the noise floor below which audio counts as noisy


def _noise_floor(db: np.ndarray) -> float:
    """The level of the audio's quietest tenth (room tone, or the noise under the voice)."""
    return float(np.percentile(db, 10))


def _noisy(db: np.ndarray, level: float) -> bool:
    """Whether the voice stands less than NOISY_SNR_DB above the noise floor."""
    return level - _noise_floor(db) < NOISY_SNR_DB


class _Voicing:
    """Per 10 ms frame: loud as a voice and periodic like one (a breath, a click or a hiss can
    be loud, but has no pitch). Indexed with a slice of frames like an array; the pitch test
    runs only on the frames asked about (the pauses of an alignment), once each."""

    def __init__(self, samples: np.ndarray, db: np.ndarray, level: float) -> None:
        self.samples = samples
        self.loud = db > level - VOICE_RANGE_DB
        self.periodic = np.zeros(len(db), bool)
        self.known = np.zeros(len(db), bool)

    def __getitem__(self, span: slice) -> np.ndarray:
        start, stop, _ = span.indices(len(self.loud))
        todo = start + np.flatnonzero(~self.known[start:stop] & self.loud[start:stop])
        if todo.size:
            self.periodic[todo] = _periodic(self.samples, todo)
            self.known[todo] = True
        return self.loud[start:stop] & self.periodic[start:stop]


PITCH_RANGE = (70.0, 400.0)  # Hz: where a speaking voice's pitch lies
PERIODIC_MIN = 0.5  # normalised autocorrelation peak in that range of a voiced frame
PERIODIC_WINDOW = 0.04  # s: two periods of the lowest pitch


def _periodic(samples: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Whether the 40 ms around each of these 10 ms frames repeats at a pitch period: the
    normalised autocorrelation (by FFT) peaks above PERIODIC_MIN at a lag in PITCH_RANGE."""
    win = int(PERIODIC_WINDOW * RATE)
    hop = int(FRAME * RATE)
    x = np.pad(np.asarray(samples, np.float64), (win // 2, win))
    starts = np.minimum(frames * hop, len(x) - win)
    out = np.zeros(len(frames), bool)
    lo, hi = int(RATE / PITCH_RANGE[1]), int(RATE / PITCH_RANGE[0])
    taper = np.hanning(win)
    # the taper's own autocorrelation, divided out so a periodic frame peaks near 1 (Boersma)
    shape = np.fft.irfft(np.abs(np.fft.rfft(taper, 2 * win)) ** 2)[: hi + 1]
    shape = np.maximum(shape / shape[0], 1e-3)
    for first in range(0, len(frames), 4096):  # blocks bound the memory on long audio
        idx = starts[first : first + 4096, None] + np.arange(win)[None]
        block = x[idx]
        block = (block - block.mean(axis=1, keepdims=True)) * taper
        spectrum = np.abs(np.fft.rfft(block, 2 * win, axis=1)) ** 2
        r = np.fft.irfft(spectrum, axis=1)[:, : hi + 1]
        r = r / np.maximum(r[:, :1], 1e-12) / shape
        out[first : first + len(block)] = r[:, lo : hi + 1].max(axis=1) > PERIODIC_MIN
    return out


def _pause_cuts(db: np.ndarray, level: float, length: int) -> list[int]:
    """Sample indices (of audio `length` samples long, its `_levels` given) in the middle of
    the pauses: quiet runs (well under the voice, or near the noise floor when the noise is
    loud) of PAUSE_MIN_SECONDS or more."""
    floor = _noise_floor(db)
    quiet = db < max(level - 25.0, floor + 0.35 * max(level - floor, 0.0))
    hop = int(RATE * FRAME)
    cuts = [(a + b) // 2 * hop for a, b in runs(quiet)
            if (b - a) * FRAME >= PAUSE_MIN_SECONDS and a > 0 and b < len(quiet)]
    kept: list[int] = []
    for cut in cuts:  # every piece at least PIECE_MIN_SECONDS long
        if cut - (kept[-1] if kept else 0) >= PIECE_MIN_SECONDS * RATE:
            kept.append(cut)
    if kept and length - kept[-1] < PIECE_MIN_SECONDS * RATE:
        kept.pop()
    return kept


def _plausible_share(spoken: list[_Aligned], config: AlignConfig) -> float:
    return float(np.mean([a.score / max(a.frames, 1) >= config.min_frame_score
                          - (OTHER_LANGUAGE_MARGIN if espeak_phones.is_keyed(a.word) else 0.0)
                          for a in spoken]))  # fmt: skip


# The English acoustic model fits the words of other languages less well (espeak-ng's phones
# mapped to English ones, other vowels, a short function word said reduced): their frames
# may score this much lower before a word counts as not fitting. Wrong transcripts in other
# languages are still detected (tests/test_languages.py, bench/languages.py).
OTHER_LANGUAGE_MARGIN = 15.0


# ---------------------------------------------------------------------------- timelines


def _timeline(segments: list[tuple[str, int, int]], duration: float, source: str) -> PhoneTimeline:
    """Contiguous phones over [0, duration] from (label, start frame, end frame) segments:
    gaps become silence, neighbouring silences merge, the last phone ends at `duration`."""
    phones = [Phone(label, start * FRAME, end * FRAME) for label, start, end in segments]
    return PhoneTimeline(contiguous(phones, duration), duration, source)


def _aligned_timeline(aligned: list[_Aligned], words: list[str], duration: float) -> PhoneTimeline:
    """Phones of the transcript words and of the hesitations said between them (an "um"
    closes the lips like any M); the words are the transcript's."""
    segments = [(label, start, start + n) for a in aligned if a.word not in _FILLERS
                for label, start, n in a.phones]  # fmt: skip
    timeline = _timeline(segments, duration, "forced")
    timeline.words = [
        Word(espeak_phones.surface(words[a.index]), a.start * FRAME,
             min((a.start + a.frames) * FRAME, duration))
        for a in aligned if a.index is not None
    ]  # fmt: skip
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


def _align_words(audio: Audio, words: list[str], config: AlignConfig, where: str = "",
                 pieces: bool = True, retry: bool = True) -> PhoneTimeline:  # fmt: skip
    """Forced alignment of normalised words, in steps that each cope with more:
    1. the words as written, pocketsphinx's beams (most clean speech, fastest);
    2. the transcript grammar with wide beams (noise, reverb, telephone band, hesitations,
       restarts), accepted when the words fit, or — in noisy audio, which lowers every
       score — when they fit far better than the same words reversed (a wrong transcript
       fits no better in order; in clean audio a low score is a wrong word);
    3. the audio cut at its pauses, each piece aligned to the run of words it holds; what
       no word covers is recognised and marked `unaligned` (enough words must be placed);
    4. the whole slowed down, for speech too fast for pocketsphinx (no path found at its
       tempo), when a word recogniser hears the transcript's words in it (`retry`: 3-4);
    5. recognition, with the reason as a warning: the transcript belongs to other audio."""
    audio = _at_16k(audio)
    if audio.duration < _MIN_SECONDS:
        return _silent(audio, "forced")
    if not pieces:  # a piece holds few words, which fit by chance more easily
        config = dataclasses.replace(config, min_match=max(config.min_match, PIECE_MIN_MATCH))
    db, level = _levels(audio.samples)
    noisy = _noisy(db, level)
    # where noise is near the voice's level, loudness cannot tell a voice from a pause
    voiced = None if noisy else _Voicing(audio.samples, db, level)
    loud = db > level - VOICE_RANGE_DB
    aligned = _forced_in_halves(audio.samples, words, config, loud) if words else None
    reason = _mismatch(aligned, words, config, voiced)
    if reason is not None and words:
        wide = (_forced(audio.samples, words, config, "wide")
                or _forced(audio.samples, words, config, "widest"))
        wide_reason = _mismatch(wide, words, config, voiced)
        if (wide_reason is not None and noisy
                and _order_matters(audio.samples, wide, words, config)):
            wide_reason = _mismatch(wide, words, config, voiced, judge_share=False)
        if wide_reason is None:
            aligned, reason = wide, None
    elif (aligned is not None and voiced is not None
          and _voiced_pauses(aligned, voiced) >= HESITATION_HINT_SECONDS):
        # A voice in the pauses of a fitting alignment: hesitations not written down. The
        # grammar gives them their own phones (the lips close in an "um"), if it fits too.
        wide = _forced(audio.samples, words, config, "wide")
        if any(a.said for a in wide or []) and _mismatch(wide, words, config, voiced) is None:
            aligned = wide
    if reason is None:
        assert aligned is not None
        return _aligned_timeline(aligned, words, audio.duration)
    if pieces and retry:
        timeline = _align_in_pieces(audio, words, config, reason, (db, level))
        if timeline is None and reason == NO_PATH:  # too fast for the phone models?
            timeline = _align_slowed(audio, words, config)
        if timeline is not None:
            return timeline
    timeline = recognise(audio, config)
    timeline.warnings.append(f"transcript does not match the audio{where} ({reason}); "
                             "phones were recognised instead")  # fmt: skip
    return timeline


# fast speech is aligned this much slower, in turn: at 1.5x a 20 ms phone becomes 30 ms; 2.5x
# for the fastest (a podcast line of 13 words in 2.4 s, cut mid-word, fits only so)
SLOW_STRETCHES = (1.5, 2.5)
SLOW_MAX_SECONDS = 20.0  # longer audio is not retried slowed: the recogniser alone would cost
# 0.3-0.7x its length on every wrong transcript, and long files are aligned piece by piece
HEARD_MIN_WORDS = 2  # content words of the transcript the word recogniser must hear, in order,
HEARD_MIN_SHARE = 0.3  # and this share of them, for the slowed alignment to be tried
# Words too common to tell one transcript from another: heard in almost any speech
_FUNCTION_WORDS = """
a an the and or but of to in on at for with by from is are was were be been am i you he she
it we they me him her us them my your his its our their this that these those there here so
as if not no do does did have has had will would can could just like what which who then
than it's i'm uh um hm ah oh er"""
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS.split())


def _align_slowed(audio: Audio, words: list[str], config: AlignConfig) -> PhoneTimeline | None:
    """Speech too fast for pocketsphinx (its phone models last three 10 ms frames at least:
    no phone shorter than 30 ms; podcast speech reaches 5-6 words a second) aligned slowed
    down, pitch kept, and its times scaled back, judged as the whole was; None when it does
    not fit. Tried only when pocketsphinx found no path at the audio's own tempo (what speech
    too fast for its phones gives; words that do not fit give a path that fits badly).
    Slowed audio lets short wrong transcripts fit too (2026-12-03: 9 of 108 more passed), so
    it is tried only when pocketsphinx's word recogniser, on the audio as it is,
    hears enough of the transcript's less common words in their order — a wrong transcript's
    are almost never heard (at most 2 of 8, on 64 real English clips), the right one's are
    even at 5-6 words a second (2 of 6 and 4 of 8 on the two podcast lines)."""
    if audio.duration > SLOW_MAX_SECONDS or not _heard(audio, words, config):
        return None
    for stretch in SLOW_STRETCHES:
        slow = dataclasses.replace(audio, samples=wsola(audio.samples, stretch, RATE)
                                   .astype(np.float32))  # fmt: skip
        timeline = _align_words(slow, words, config, retry=False)
        if timeline.source == "forced":
            back = 1.0 / stretch
            phones = [Phone(p.label, p.start * back, p.end * back) for p in timeline.phones]
            return PhoneTimeline(contiguous(phones, audio.duration), audio.duration, "forced",
                                 [Word(w.text, w.start * back, w.end * back)
                                  for w in timeline.words], timeline.warnings)
    return None


def _heard(audio: Audio, words: list[str], config: AlignConfig) -> bool:
    """Whether the word recogniser hears at least HEARD_MIN_WORDS (and HEARD_MIN_SHARE) of the
    transcript's content words, in order."""
    content = [w for w in words if w not in FUNCTION_WORDS]
    if len(content) < HEARD_MIN_WORDS:
        return False
    decoder = _decoder("words", config)
    _decode(decoder, _pcm(audio.samples))
    hypothesis = decoder.hyp()
    heard = [_base_word(w) for w in (hypothesis.hypstr.split() if hypothesis else [])]
    found = _in_order(content, [w for w in heard if w not in FUNCTION_WORDS])
    return found >= HEARD_MIN_WORDS and found >= HEARD_MIN_SHARE * len(content)


def _in_order(a: list[str], b: list[str]) -> int:
    """Length of the longest run of words of `a` found in `b` in the same order."""
    best = [0] * (len(b) + 1)
    for word in a:
        previous = 0
        for j, other in enumerate(b):
            current = best[j + 1]
            best[j + 1] = previous + 1 if word == other else max(best[j + 1], best[j])
            previous = current
    return best[-1]


HESITATION_HINT_SECONDS = 0.2  # this much voice inside pauses suggests unwritten hesitations


def _voiced_pauses(aligned: list[_Aligned], voiced: _Voicing) -> float:
    """Seconds of loud-as-a-voice frames inside the silences and noises of an alignment."""
    frames = sum(int(np.count_nonzero(voiced[a.start : a.start + a.frames]))
                 for a in aligned if a.word in _FILLERS)  # fmt: skip
    return frames * FRAME


def _order_matters(samples: np.ndarray, aligned: list[_Aligned] | None, words: list[str],
                   config: AlignConfig) -> bool:  # fmt: skip
    """Whether the words fit this audio much better in their order than reversed: true of
    the right transcript in poor audio (whose scores noise has lowered), not of a wrong one.
    Only an alignment that placed every word and fits at least ORDER_MIN_SHARE is tested."""
    if aligned is None or len(words) < ORDER_MIN_WORDS:
        return False
    spoken = [a for a in aligned if a.index is not None]
    if len(spoken) < len([w for w in words if w not in HESITATIONS]):
        return False
    share = _plausible_share(spoken, config)
    if share < ORDER_MIN_SHARE:
        return False
    reverse = _forced(samples, words[::-1], config, "wide")
    if reverse is None:
        return True
    spoken_reverse = [a for a in reverse if a.index is not None]
    return not spoken_reverse or share - _plausible_share(spoken_reverse, config) >= ORDER_MARGIN


ORDER_MIN_WORDS = 6  # shorter transcripts fit reversed about as badly by chance
ORDER_MIN_SHARE = 0.55  # below this share of plausible words, order is not even tested
ORDER_MARGIN = 0.25  # in order, this much larger a share of the words must fit
PIECE_MIN_MATCH = 0.85  # share of a piece's words that must fit for the piece to be placed


def _align_in_pieces(audio: Audio, words: list[str], config: AlignConfig, reason: str,
                     levels: tuple[np.ndarray, float]) -> PhoneTimeline | None:  # fmt: skip
    """The audio cut at its pauses, the transcript consumed piece by piece (as a long file's
    chunks are); None when fewer than `min_placed` of the words found a place."""
    cuts = _pause_cuts(*levels, len(audio.samples))
    if not cuts:
        return None
    bounds = [0, *cuts, len(audio.samples)]
    aligner = ChunkedAligner(None, config, words=words, pieces=False)
    parts: list[tuple[float, PhoneTimeline]] = []
    for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        piece = dataclasses.replace(audio, samples=audio.samples[a:b],
                                    offset=audio.offset + a / RATE)  # fmt: skip
        parts.append((a / RATE, aligner.next(piece, k == len(bounds) - 2)))
    placed = sum(1 for _, t in parts if t.source == "forced" for w in t.words
                 if w.text not in HESITATIONS)  # fmt: skip
    needed = len([w for w in words if w not in HESITATIONS])
    if placed == 0 or placed < config.min_placed * needed:
        return None
    timeline = _joined(parts, audio.duration)
    timeline.warnings.insert(0, f"the transcript does not fully fit the audio ({reason}); "
                                f"{placed} of {needed} words were placed piece by piece")
    return timeline


def _joined(parts: list[tuple[float, PhoneTimeline]], duration: float) -> PhoneTimeline:
    """One forced timeline from pieces' timelines (each starting at its offset); pieces that
    were recognised, not aligned, are its `unaligned` stretches."""
    phones: list[Phone] = []
    words: list[Word] = []
    unaligned: list[tuple[float, float]] = []
    warnings: list[str] = []
    for offset, t in parts:
        phones += [Phone(p.label, p.start + offset, p.end + offset) for p in t.phones]
        words += [Word(w.text, w.start + offset, w.end + offset) for w in t.words]
        if t.source != "forced" and any(p.label != SILENCE for p in t.phones):
            unaligned.append((offset, offset + t.duration))
        warnings += t.warnings
    timeline = PhoneTimeline(contiguous(phones, duration), duration, "forced", words,
                             list(dict.fromkeys(warnings)))
    timeline.unaligned = unaligned
    return timeline


_NO_WORDS = "transcript has no words to align; phones were recognised"


def transcript_words(transcript: str, config: AlignConfig) -> tuple[list[str], str | None]:
    """The words to align and, when they cannot be had, why. English (the default, and any
    Latin-script transcript unless `text_language` names another language) is normalised
    for CMUdict as always; another language's words (named, or told by a non-Latin script)
    get espeak-ng's phones. A language espeak-ng does not speak gives no words and a warning
    (recognition); a missing espeak-ng is a VoxrigError."""
    language = config.text_language
    if language == espeak_phones.AUTO:
        language = espeak_phones.detect_language(transcript)
    if espeak_phones.is_english(language):
        return normalise_transcript(transcript), None
    try:
        return espeak_phones.transcript_keys(strip_tags(transcript), language), None
    except espeak_phones.UnknownLanguage:
        return [], (f"espeak-ng does not speak the transcript's language {language!r}; "
                    "phones were recognised instead")


def align(audio: Audio, transcript: str, config: AlignConfig | None = None) -> PhoneTimeline:
    """Phones and words timed by forcing the transcript onto the audio. A transcript that does
    not match what is said falls back to `recognise` with the reason in `warnings`."""
    config = config or AlignConfig()
    words, why = transcript_words(transcript, config)
    if not words:
        timeline = recognise(audio, config)
        timeline.warnings.append(why or _NO_WORDS)
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

    def __init__(self, transcript: str | None, config: AlignConfig | None = None,
                 words: list[str] | None = None, pieces: bool = True) -> None:  # fmt: skip
        self.config = config or AlignConfig()
        self.why_no_words: str | None = None  # a language espeak-ng does not speak
        if words is None:
            words, self.why_no_words = (transcript_words(transcript, self.config)
                                        if transcript else ([], None))  # fmt: skip
        self.pending: list[str] = list(words)
        self.had_transcript = bool(self.pending)
        self.empty_transcript = bool(transcript and transcript.strip()) and not self.pending
        self.first = True
        # A chunk that does not fit may be cut at its own pauses; and, for the chunks of a
        # long file, a chunk may start past transcript words that were never said. Pieces
        # of one alignment may not: in poor audio a skip is cheaper than a poor fit.
        self.pieces = pieces

    def next(self, chunk: Audio, is_last: bool) -> PhoneTimeline:
        chunk = _at_16k(chunk)
        only_chunk, self.first = self.first and is_last, False
        if not self.pending:
            timeline = recognise(chunk, self.config)
            if self.empty_transcript:
                timeline.warnings.append(self.why_no_words or _NO_WORDS)
                self.empty_transcript = False  # said once, not per chunk
            elif self.had_transcript and chunk.duration >= 1.0:
                timeline.warnings.append("transcript ended before the audio; "
                                         "phones of the rest were recognised")  # fmt: skip
            return timeline
        if only_chunk:
            return _align_words(chunk, self.pending, self.config, pieces=self.pieces)
        # at most a fast talker's worth of words: keeps the search small
        limit = max(20, int(chunk.duration * self.config.max_words_per_second))
        offered = self.pending if is_last else self.pending[:limit]
        start, end = (_spoken_run(chunk.samples, offered, self.config, skip=self.pieces)
                      if chunk.duration >= _MIN_SECONDS else (0, 0))  # fmt: skip
        if end == 0:  # a pause or noise between sentences: nothing to align here
            timeline = recognise(chunk, self.config)
            if is_last:
                timeline.warnings.append(f"{len(self.pending)} transcript words at the end "
                                         "were not heard in the audio")  # fmt: skip
            return timeline
        where = f" at {chunk.offset:.1f} s"
        timeline = _align_words(chunk, offered[start:end], self.config, where,
                                pieces=self.pieces)
        if timeline.source != "forced":
            return timeline  # its words stay pending: a later chunk may skip past them
        if start:
            unheard = " ".join(espeak_phones.surface(w) for w in offered[:start][:8])
            timeline.warnings.append(f"{start} transcript words before{where} were not heard "
                                     f"in the audio: '{unheard}...'")  # fmt: skip
        if is_last and end < len(self.pending):
            timeline.warnings.append(f"{len(self.pending) - end} transcript words at the end "
                                     "were not heard in the audio")  # fmt: skip
        self.pending = self.pending[end:]
        return timeline
