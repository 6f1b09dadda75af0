"""Degraded versions of the English phone-tier clips, each with its reference tier moved to match,
so lip sync can be judged on speech nobody tuned for: noise, reverb, a telephone band, another
pitch, another tempo, long pauses and spoken fillers (issue 14). Every degradation is seeded
(the same clip, condition and seed give the same samples) and written as a wav file under
build/degraded/ so `bake(path)` reads it as it reads a user's file.

Signal processing here is numpy/scipy (bench only, never voxrig's runtime). The fillers are
real recordings from ../shared/data/multilingual/mfa (Montreal Forced Aligner test corpus, MIT)."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

from voxrig.core.names import SILENCE
from voxrig.core.phones import Phone, Word
from voxrig.core.stretch import wsola

from . import datasets

CACHE_DIR = datasets.REPO_ROOT / "build" / "degraded"
SEED = 14  # the number; any fixed seed makes the suite repeatable

FILLER_LABEL = "spn"  # spoken noise: no event category counts it (bench/metrics.py)
WRITTEN_FILLER = "um"  # written into the transcript, never spoken
ROOM_NOISE_DB = -45.0  # dB re the speech RMS: the room tone inside inserted pauses
FADE_SECONDS = 0.005  # raised-cosine fade at every cut, so no click marks it
PINK_FLOOR_HZ = 20.0  # pink noise is flat below this (no DC drift)

TELEPHONE_RATE = 8000  # Hz, the rate the telephone version is delivered at
TELEPHONE_BAND = (300.0, 3400.0)  # Hz
TELEPHONE_ORDER = 4  # Butterworth order of each edge (applied forwards and backwards)

RT60 = 0.5  # s, the synthetic room's reverberation time
DIRECT_TO_REVERB_DB = 2.0  # energy of the direct path over everything after it
REFLECTIONS = 6  # early reflections between 3 and 25 ms after the direct path


PAUSE_SECONDS = (2.0, 4.0)  # length range of each inserted pause
PAUSE_COUNT = (2, 3)  # pauses inserted per clip
FILLER_COUNT = 2  # fillers inserted per clip
FILLER_GAP = (0.15, 0.25)  # s of room tone either side of a filler

# Where each filler is in its recording: MFA's transcripts are "montreal forced um aligner" and
# "montreal uh forced aligner"; voxrig's aligner put "um" at 3.71-5.15 s and "uh" at 2.37-3.63 s.
# Inside these windows the filler is cut out by loudness (`cut_by_loudness`).
FILLER_SOURCES = {
    "um": ("mfa_um.flac", 3.60, 5.30),
    "uh": ("mfa_uh.flac", 2.32, 3.62),
}
FILLER_RANGE_DB = 35.0  # the filler is every 10 ms frame within this of its loudest one


@dataclass(frozen=True)
class Speech:
    """Mono samples with the reference phone tier (and words, transcript) that describe them."""

    name: str
    samples: np.ndarray  # float64
    rate: int
    phones: list[Phone]  # contiguous over [0, duration]; fillers are FILLER_LABEL
    words: list[Word]
    transcript: str

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate


def from_clip(clip: datasets.PhoneClip) -> Speech:
    """A phone-tier clip's audio at its own rate (channels averaged) with its tier."""
    samples, rate = sf.read(str(clip.audio), dtype="float64", always_2d=True)
    mono = samples.mean(axis=1)
    phones = list(clip.phones)
    duration = len(mono) / rate
    if phones and abs(phones[-1].end - duration) > 1e-6:  # the tier covers exactly the audio
        phones[-1] = Phone(phones[-1].label, phones[-1].start, duration)
    return Speech(clip.name, mono, int(rate), phones, list(clip.words), clip.transcript)


# ---------------------------------------------------------------------------------------------
# Measuring helpers (also what the tests check the degradations with)


def speech_mask(speech: Speech) -> np.ndarray:
    """True for samples inside a phone that is not silence."""
    mask = np.zeros(len(speech.samples), bool)
    for p in speech.phones:
        if p.label != SILENCE:
            mask[int(round(p.start * speech.rate)) : int(round(p.end * speech.rate))] = True
    return mask


def speech_power(samples: np.ndarray, mask: np.ndarray) -> float:
    """Mean power over the masked samples (all of them when the mask is empty)."""
    part = samples[mask] if mask.any() else samples
    return float(np.mean(part**2))


def snr_db(clean: np.ndarray, noise: np.ndarray, mask: np.ndarray) -> float:
    """Signal-to-noise ratio over the speech samples only, in dB."""
    return 10.0 * np.log10(speech_power(clean, mask) / max(speech_power(noise, mask), 1e-30))


def rt60_of(impulse: np.ndarray, rate: int) -> float:
    """Reverberation time from Schroeder's backward integral: the -5 to -25 dB decay, x3."""
    energy = np.cumsum(impulse[::-1] ** 2)[::-1]
    curve = 10.0 * np.log10(energy / energy[0] + 1e-30)
    t = np.arange(len(curve)) / rate
    fit = (curve <= -5.0) & (curve >= -25.0)
    slope = np.polyfit(t[fit], curve[fit], 1)[0]  # dB per second, negative
    return -60.0 / slope


# ---------------------------------------------------------------------------------------------
# Building blocks


def pink_noise(n: int, rng: np.random.Generator, rate: int) -> np.ndarray:
    """Gaussian noise whose power falls 3 dB per octave (1/f) above PINK_FLOOR_HZ, unit RMS."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    spectrum /= np.sqrt(np.maximum(freqs, PINK_FLOOR_HZ))
    noise = np.fft.irfft(spectrum, n)
    return noise / (np.sqrt(np.mean(noise**2)) + 1e-30)


def room_impulse(rate: int, rng: np.random.Generator, rt60: float = RT60,
                 direct_to_reverb_db: float = DIRECT_TO_REVERB_DB) -> np.ndarray:
    """A synthetic room impulse response: the direct path at sample 0 (so nothing is delayed),
    a few early reflections, then exponentially decaying noise reaching -60 dB at `rt60`."""
    n = int(round(1.2 * rt60 * rate))
    t = np.arange(n) / rate
    tail = rng.standard_normal(n) * 10.0 ** (-3.0 * t / rt60)
    tail[: int(0.003 * rate)] = 0.0
    for delay in rng.uniform(0.003, 0.025, REFLECTIONS):
        tail[int(delay * rate)] += rng.choice([-1.0, 1.0]) * rng.uniform(0.2, 0.5)
    tail *= np.sqrt(10.0 ** (-direct_to_reverb_db / 10.0) / np.sum(tail**2))
    tail[0] = 1.0
    return tail


def _ratio(stretch: float) -> Fraction:
    return Fraction(stretch).limit_denominator(200)


def fade(samples: np.ndarray, rate: int, at_start: bool, at_end: bool) -> np.ndarray:
    """Raised-cosine fade-in and/or fade-out of FADE_SECONDS."""
    out = samples.copy()
    k = min(len(out) // 2, int(round(FADE_SECONDS * rate)))
    if k == 0:
        return out
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, k))
    if at_start:
        out[:k] *= ramp
    if at_end:
        out[-k:] *= ramp[::-1]
    return out


def scale_times(speech: Speech, factor: float, samples: np.ndarray) -> Speech:
    """Speech whose tier and words are stretched by `factor` to go with new samples."""
    duration = len(samples) / speech.rate
    phones = [Phone(p.label, p.start * factor, p.end * factor) for p in speech.phones]
    phones[-1] = Phone(phones[-1].label, phones[-1].start, duration)
    words = [Word(w.text, w.start * factor, w.end * factor) for w in speech.words]
    return replace(speech, samples=samples, phones=phones, words=words)


def insert(speech: Speech, at: float, parts: list[tuple[str, np.ndarray]]) -> Speech:
    """Insert labelled stretches of audio at time `at` (a phone boundary). Phones and words
    after it move later by their length; neighbouring silences merge; fillers keep their label."""
    i = int(round(at * speech.rate))  # the cut is within half a sample of `at`
    before = fade(speech.samples[:i], speech.rate, False, True)
    after = fade(speech.samples[i:], speech.rate, True, False)
    added = sum(len(a) for _, a in parts) / speech.rate
    new: list[Phone] = []
    for p in speech.phones:
        if p.end <= at + 1e-9:
            new.append(p)
        elif p.start >= at - 1e-9:
            new.append(Phone(p.label, p.start + added, p.end + added))
        else:  # not at a boundary: the phone is split around the insertion
            new += [Phone(p.label, p.start, at), Phone(p.label, at + added, p.end + added)]
    cursor = at
    for label, audio in parts:
        new.append(Phone(label, cursor, cursor + len(audio) / speech.rate))
        cursor += len(audio) / speech.rate
    new.sort(key=lambda p: p.start)
    merged: list[Phone] = []
    for p in new:
        if merged and p.label == SILENCE and merged[-1].label == SILENCE:
            merged[-1] = Phone(SILENCE, merged[-1].start, p.end)
        else:
            merged.append(p)
    words = [w if w.end <= at + 1e-9 else Word(w.text, w.start + added, w.end + added)
             for w in speech.words]
    samples = np.concatenate([before, *(a for _, a in parts), after])
    return replace(speech, samples=samples, phones=merged, words=words)


def insertion_points(speech: Speech, count: int, rng: np.random.Generator) -> list[float]:
    """`count` distinct boundaries inside the speech where a pause or filler is natural:
    between words (from the word tier), else at the clip's own internal silences, else
    between phones."""
    spoken = [p for p in speech.phones if p.label != SILENCE]
    first, last = spoken[0].start, spoken[-1].end
    if len(speech.words) > 1:
        points = [w.end for w in speech.words[:-1]]
    else:
        points = [p.start for p in speech.phones[1:] if p.label == SILENCE
                  and first < p.start < last]
        if len(points) < count:
            points = [p.start for p in spoken[1:]]
    edges = np.array([p.start for p in speech.phones[1:]])  # snapped onto the tier exactly
    points = sorted({float(edges[np.argmin(np.abs(edges - t))]) for t in points
                     if first + 0.05 < t < last - 0.05})
    chosen = rng.choice(len(points), size=min(count, len(points)), replace=False)
    return sorted(points[k] for k in chosen)


def cut_by_loudness(samples: np.ndarray, rate: int,
                    range_db: float = FILLER_RANGE_DB) -> np.ndarray:
    """The stretch from the first to the last 10 ms frame within `range_db` of the loudest,
    faded at both ends."""
    hop = int(0.01 * rate)
    frames = len(samples) // hop
    db = 10.0 * np.log10(np.mean(samples[: frames * hop].reshape(frames, hop) ** 2, axis=1)
                         + 1e-20)
    loud = np.flatnonzero(db >= db.max() - range_db)
    return fade(samples[loud[0] * hop : (loud[-1] + 1) * hop], rate, True, True)


def load_filler(word: str, rate: int) -> np.ndarray:
    """A real recorded filler ("um", "uh") at `rate`, cut out of its MFA recording."""
    name, start, end = FILLER_SOURCES[word]
    path = datasets.data_root() / "multilingual" / "mfa" / name
    audio, source_rate = sf.read(str(path), dtype="float64", always_2d=True)
    mono = audio.mean(axis=1)[int(start * source_rate) : int(end * source_rate)]
    cut = cut_by_loudness(mono, int(source_rate))
    ratio = Fraction(rate, int(source_rate))
    return signal.resample_poly(cut, ratio.numerator, ratio.denominator)


def _room_tone(speech: Speech, seconds: float, rng: np.random.Generator) -> np.ndarray:
    level = np.sqrt(speech_power(speech.samples, speech_mask(speech)))
    n = int(round(seconds * speech.rate))
    return pink_noise(n, rng, speech.rate) * level * 10.0 ** (ROOM_NOISE_DB / 20.0)


# ---------------------------------------------------------------------------------------------
# The degradations: each takes speech and a seeded generator and returns speech


def add_noise(speech: Speech, rng: np.random.Generator, snr: float) -> Speech:
    """Pink noise at `snr` dB below the speech, both measured over the speech samples."""
    mask = speech_mask(speech)
    noise = pink_noise(len(speech.samples), rng, speech.rate)
    gain = np.sqrt(speech_power(speech.samples, mask) / speech_power(noise, mask)
                   / 10.0 ** (snr / 10.0))
    return replace(speech, samples=speech.samples + gain * noise)


def add_reverb(speech: Speech, rng: np.random.Generator) -> Speech:
    """The speech played in a synthetic room (RT60 = RT60); same RMS, tier unmoved."""
    wet = signal.fftconvolve(speech.samples, room_impulse(speech.rate, rng))[
        : len(speech.samples)]
    wet *= np.sqrt(np.mean(speech.samples**2) / (np.mean(wet**2) + 1e-30))
    return replace(speech, samples=wet)


def telephone(speech: Speech, rng: np.random.Generator) -> Speech:
    """A telephone channel: 300-3400 Hz, delivered at 8 kHz (same tier)."""
    ratio = Fraction(TELEPHONE_RATE, speech.rate)
    narrow = signal.resample_poly(speech.samples, ratio.numerator, ratio.denominator)
    sos = signal.butter(TELEPHONE_ORDER, TELEPHONE_BAND, btype="bandpass", fs=TELEPHONE_RATE,
                        output="sos")
    return replace(speech, samples=signal.sosfiltfilt(sos, narrow), rate=TELEPHONE_RATE)


def shift_pitch(speech: Speech, rng: np.random.Generator, semitones: float) -> Speech:
    """Pitch moved by `semitones` at the same tempo: WSOLA stretches the speech by the pitch
    ratio, resampling squeezes it back (which moves every frequency by the ratio)."""
    ratio = _ratio(2.0 ** (semitones / 12.0))
    stretched = wsola(speech.samples, float(ratio), speech.rate)
    back = signal.resample_poly(stretched, ratio.denominator, ratio.numerator)
    n = len(speech.samples)
    back = back[:n] if len(back) >= n else np.pad(back, (0, n - len(back)))
    return replace(speech, samples=back)


def change_tempo(speech: Speech, rng: np.random.Generator, tempo: float) -> Speech:
    """Speech `tempo` times as fast (pitch kept); every boundary moves to t / tempo."""
    stretch = 1.0 / tempo
    return scale_times(speech, stretch, wsola(speech.samples, stretch, speech.rate))


def insert_pauses(speech: Speech, rng: np.random.Generator) -> Speech:
    """PAUSE_COUNT pauses of PAUSE_SECONDS at word boundaries, filled with room tone and
    labelled silence."""
    count = int(rng.integers(PAUSE_COUNT[0], PAUSE_COUNT[1] + 1))
    points = insertion_points(speech, count, rng)
    lengths = rng.uniform(*PAUSE_SECONDS, len(points))
    for at, seconds in sorted(zip(points, lengths, strict=True), reverse=True):
        speech = insert(speech, at, [(SILENCE, _room_tone(speech, seconds, rng))])
    return speech


def insert_fillers(speech: Speech, rng: np.random.Generator) -> Speech:
    """FILLER_COUNT real fillers ("um", "uh") said at word boundaries with a short pause either
    side, at the speech's loudness; labelled FILLER_LABEL and not added to the transcript."""
    points = insertion_points(speech, FILLER_COUNT, rng)
    level = np.sqrt(speech_power(speech.samples, speech_mask(speech)))
    words = list(FILLER_SOURCES)
    for k, at in sorted(enumerate(points), key=lambda item: -item[1]):
        filler = load_filler(words[k % len(words)], speech.rate)
        filler = filler * level / np.sqrt(np.mean(filler**2))
        gaps = rng.uniform(*FILLER_GAP, 2)
        speech = insert(speech, at, [(SILENCE, _room_tone(speech, gaps[0], rng)),
                                     (FILLER_LABEL, filler),
                                     (SILENCE, _room_tone(speech, gaps[1], rng))])
    return speech


def write_filler(speech: Speech, rng: np.random.Generator) -> Speech:
    """The audio as it is; the transcript gets WRITTEN_FILLER in the middle (written, not said)."""
    words = speech.transcript.split()
    words.insert(len(words) // 2, WRITTEN_FILLER)
    return replace(speech, transcript=" ".join(words))


# ---------------------------------------------------------------------------------------------
# The table of conditions


@dataclass(frozen=True)
class Condition:
    name: str
    apply: Callable[[Speech, np.random.Generator], Speech]
    description: str
    audio_changed: bool = True  # False: only the transcript differs from the clean clip


def _with(fn: Callable[..., Speech], **kwargs: float) -> Callable[[Speech, np.random.Generator],
                                                                 Speech]:
    return lambda speech, rng: fn(speech, rng, **kwargs)


CLEAN = Condition("clean", lambda speech, rng: speech, "the recording as it is")
CONDITIONS: tuple[Condition, ...] = (
    CLEAN,
    Condition("noise 20 dB", _with(add_noise, snr=20.0), "pink noise, 20 dB SNR over the speech"),
    Condition("noise 10 dB", _with(add_noise, snr=10.0), "pink noise, 10 dB SNR over the speech"),
    Condition("reverb", add_reverb, f"synthetic room, RT60 {RT60} s, direct path first"),
    Condition("phone 8 kHz", telephone, "300-3400 Hz band-pass, delivered at 8 kHz"),
    Condition("pitch +3", _with(shift_pitch, semitones=3.0), "+3 semitones, same tempo (WSOLA)"),
    Condition("pitch -3", _with(shift_pitch, semitones=-3.0), "-3 semitones, same tempo (WSOLA)"),
    Condition("tempo 0.8", _with(change_tempo, tempo=0.8), "0.8x as fast, tier scaled (WSOLA)"),
    Condition("tempo 1.25", _with(change_tempo, tempo=1.25), "1.25x as fast, tier scaled"),
    Condition("pauses", insert_pauses, "2-3 pauses of 2-4 s of room tone at word boundaries"),
    Condition("fillers", insert_fillers,
              "real 'um'/'uh' at 2 word boundaries, spoken but not in the transcript"),
    Condition("um written", write_filler, "'um' in the transcript, not spoken",
              audio_changed=False),
)
DEGRADED = tuple(c for c in CONDITIONS if c is not CLEAN)


def generator(condition: str, clip: str, seed: int = SEED) -> np.random.Generator:
    """The random stream of one condition on one clip: independent of every other one."""
    return np.random.default_rng([seed, zlib.crc32(condition.encode()),
                                  zlib.crc32(clip.encode())])


def degrade(speech: Speech, condition: Condition, seed: int = SEED) -> Speech:
    """One condition applied to one clip, deterministically."""
    return condition.apply(speech, generator(condition.name, speech.name, seed))


def slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name.lower()).strip("_")


def write_wav(speech: Speech, path: Path) -> Path:
    """16-bit wav like a user's file; scaled down as a whole only if it would clip."""
    return write_pcm16(speech.samples, speech.rate, path)


def write_pcm16(samples: np.ndarray, rate: int, path: Path) -> Path:
    """(n,) or (n, channels) samples as a 16-bit wav, scaled down as a whole only if they
    would clip."""
    path.parent.mkdir(parents=True, exist_ok=True)
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    scaled = samples * (0.99 / peak if peak > 0.99 else 1.0)
    sf.write(str(path), scaled.astype(np.float32), rate, subtype="PCM_16")
    return path


def cached(speech: Speech, condition: Condition, cache: Path = CACHE_DIR) -> Path:
    """The degraded clip's audio as a wav under the cache (rewritten every run: it is cheap
    and so never stale)."""
    return write_wav(speech, cache / slug(condition.name) / f"{speech.name}.wav")
