"""Audio features for the animator: a loudness envelope.

Loudness tells how wide the jaw swings (stressed, loud syllables open more) and where the
speaker is silent, which recognised phones get wrong more often than the audio does."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

HIGH_PASS = 80.0  # Hz: below the voice; removes DC drift, rumble and mains hum
_BLOCK = 512  # frames per FFT block of loudness_db (a minute's frames at once are 25 MB)


def loudness_db(
    samples: np.ndarray, sample_rate: int, rate: float = 100.0, window: float = 0.03
) -> np.ndarray:
    """Short-time RMS level in dB (re full scale) of the voice band (above HIGH_PASS) at
    times i / rate, each from a Hann window of `window` seconds centred on its time. The
    band is taken in the spectrum of each window (Parseval), so no filter delays it."""
    x = np.asarray(samples, dtype=np.float64)
    win = max(2, int(round(window * sample_rate)))
    count = int(np.floor(len(x) / sample_rate * rate + 1e-9)) + 1
    centres = np.round(np.arange(count) / rate * sample_rate).astype(np.int64)
    padded = np.pad(x, (win // 2, win - win // 2))
    frames = sliding_window_view(padded, win)
    centres = np.minimum(centres, frames.shape[0] - 1)
    taper = np.hanning(win)
    taper /= np.sqrt(np.mean(taper**2))
    voice = np.fft.rfftfreq(win, 1.0 / sample_rate) >= HIGH_PASS
    power = np.empty(count)
    for lo in range(0, count, _BLOCK):
        spectrum = np.abs(np.fft.rfft(frames[centres[lo : lo + _BLOCK]] * taper, axis=1)) ** 2
        spectrum[:, 1 : (win + 1) // 2] *= 2.0  # one-sided: count the negative frequencies
        power[lo : lo + _BLOCK] = spectrum[:, voice].sum(axis=1) / win**2
    return 10.0 * np.log10(power + 1e-12)


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of True in a per-frame mask."""
    edges = np.diff(np.concatenate([[0], np.asarray(mask).astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(),
                    strict=True))


SPEECH_FLOOR_DB = -60.0  # dBFS: quieter than this is never taken for a voice's vowel level


def speech_level(db: np.ndarray) -> float:
    """The level of the speaker's loud (vowel) frames: a high percentile of the envelope,
    but never below SPEECH_FLOOR_DB, so faint noise with no voice in it stays faint."""
    level = float(np.percentile(db, 95)) if db.size else SPEECH_FLOOR_DB
    return max(level, SPEECH_FLOOR_DB)


def normalised_loudness(db: np.ndarray, range_db: float = 30.0,
                        level: float | None = None) -> np.ndarray:
    """Loudness in [0, 1]: 1 at the speaker's vowel level (`level`, by default the
    speech_level of `db` itself), 0 at `range_db` below it."""
    level = speech_level(db) if level is None else level
    return np.clip((db - (level - range_db)) / range_db, 0.0, 1.0)
