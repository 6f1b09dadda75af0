"""Loudness: the audio's own say in the animation, for when phones are unsure.

Two uses. Long quiet stretches become pauses even when the recogniser heard phones in them
(breath, noise), and the jaw opening follows the loudness of the voice: a loud syllable
opens wider than a quiet one, and a misrecognised phone cannot open a silent mouth.
"""

from __future__ import annotations

import numpy as np

from ..features import loudness_db, normalised_loudness, runs
from ..names import ARKIT_INDEX, SILENCE
from ..phones import Phone

_JAW = ARKIT_INDEX["jawOpen"]
FEATURE_RATE = 100.0
QUIET = 0.35  # normalised loudness below which a frame is silence (about 20 dB below vowels)
LOUD = 0.75  # above this (about 7 dB below vowels) a frame is voiced speech, not silence
TEMPER = 0.5  # how much loudness scales the phones' jaw opening
VOICE_JAW = 0.3  # jaw opening of a vowel at full voice when driven by loudness alone
VOICE_CURVE = 3.0  # loudness -> jaw curve: only the loud top of the range opens wide
UNKNOWN_SPEECH = "AH"  # the neutral vowel, for speech whose phones were not heard


def loudness_track(samples: np.ndarray, sample_rate: int, times: np.ndarray) -> np.ndarray:
    """Normalised loudness (0 silent .. 1 vowel level) at `times`."""
    level = normalised_loudness(loudness_db(samples, sample_rate, FEATURE_RATE))
    return np.interp(times, np.arange(level.size) / FEATURE_RATE, level)


def quiet_pauses(
    phones: list[Phone], times: np.ndarray, loud: np.ndarray, pause_min: float
) -> list[Phone]:
    """Silence wherever the audio stays quiet for at least `pause_min` seconds; the phones
    there are cut back (phones keep their order, the timeline stays contiguous)."""
    last = len(times) - 1
    pauses = [
        (times[a], times[min(b, last)])
        for a, b in runs(loud < QUIET)
        if times[min(b, last)] - times[a] >= pause_min
    ]
    if not pauses:
        return phones
    out: list[Phone] = []
    for p in phones:
        pieces = [(p.start, p.end)]
        for a, b in pauses:
            next_pieces = []
            for s, e in pieces:
                if b <= s or a >= e:
                    next_pieces.append((s, e))
                    continue
                if a > s:
                    next_pieces.append((s, a))
                if b < e:
                    next_pieces.append((b, e))
            pieces = next_pieces
        for s, e in pieces:
            out.append(Phone(p.label, s, e))
    for a, b in pauses:
        out.append(Phone(SILENCE, a, b))
    return sorted(out, key=lambda p: p.start)


def loud_silences(
    phones: list[Phone], times: np.ndarray, loud: np.ndarray, min_length: float = 0.05
) -> list[Phone]:
    """Silence labels over loud voice (a recogniser's misses) become the neutral vowel, so
    the mouth keeps talking; runs shorter than `min_length` are left alone."""
    voiced = loud >= LOUD
    out: list[Phone] = []
    for p in phones:
        if p.label != SILENCE:
            out.append(p)
            continue
        i0, i1 = np.searchsorted(times, [p.start, p.end])
        cursor = p.start
        for a, b in runs(voiced[i0:i1]):
            s, e = times[i0 + a], times[min(i0 + b, len(times) - 1)]
            if e - s < min_length:
                continue
            if s > cursor:
                out.append(Phone(SILENCE, cursor, s))
            out.append(Phone(UNKNOWN_SPEECH, s, e))
            cursor = e
        if cursor < p.end:
            out.append(Phone(SILENCE, cursor, p.end))
    return out


def modulate_jaw(weights: np.ndarray, loud: np.ndarray, share: float) -> np.ndarray:
    """Let the voice drive the jaw: the phones' jaw opening is tempered by loudness (a quiet
    syllable opens less), and a `share` of the opening comes from loudness alone (a loud
    vowel opens wide whatever phone was heard). `share` 0 leaves the jaw to the phones."""
    out = weights.copy()
    from_phones = out[:, _JAW] * ((1.0 - TEMPER) + TEMPER * loud)
    from_voice = VOICE_JAW * loud**VOICE_CURVE
    out[:, _JAW] = (1.0 - share) * from_phones + share * from_voice
    return out
