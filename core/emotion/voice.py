"""Emotion from the voice: prosody (pitch, energy, speaking rate) -> arousal.

An aroused speaker is louder, higher and more variable in pitch, and faster than their own
calm speech, so every feature is judged relative to the clip itself (no speaker model)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..features import loudness_db, normalised_loudness
from ..names import SILENCE
from ..phones import Phone

RATE = 100.0  # Hz of the prosody tracks
F0_MIN, F0_MAX = 70.0, 400.0  # Hz: the pitch range searched
VOICING = 0.45  # normalised autocorrelation peak above which a frame counts as voiced


@dataclass
class Prosody:
    """Tracks at i / RATE seconds: f0 in Hz (0 where unvoiced), loudness in [0, 1]."""

    f0: np.ndarray
    loudness: np.ndarray

    @property
    def times(self) -> np.ndarray:
        return np.arange(self.f0.size) / RATE


def pitch_track(samples: np.ndarray, sample_rate: int, window: float = 0.04) -> np.ndarray:
    """f0 per 10 ms by the normalised autocorrelation of each window (a YIN-like tracker
    without its refinements): the lag of the highest peak in the pitch range, if it is
    periodic enough; 0 otherwise."""
    x = np.asarray(samples, dtype=np.float64)
    win = int(round(window * sample_rate))
    count = int(np.floor(len(x) / sample_rate * RATE + 1e-9)) + 1
    f0 = np.zeros(count)
    if len(x) < win:
        return f0
    padded = np.pad(x, (win // 2, win - win // 2))
    frames = sliding_window_view(padded, win)
    starts = np.minimum(np.round(np.arange(count) / RATE * sample_rate).astype(int),
                        frames.shape[0] - 1)
    # A few hundred windows at a time keeps the FFT buffers small (tens of MB for any length).
    for first in range(0, count, _BLOCK):
        rows = slice(first, min(count, first + _BLOCK))
        f0[rows] = _block_f0(frames[starts[rows]], sample_rate, win)
    return f0


_BLOCK = 512  # analysis windows per FFT batch


def _block_f0(windows: np.ndarray, sample_rate: int, win: int) -> np.ndarray:
    """f0 of each row of `windows` (0 where not periodic enough)."""
    block = windows - windows.mean(axis=1, keepdims=True)
    n_fft = 2 * win  # the linear autocorrelation up to lag win needs no more (nor a power of 2)
    spec = np.fft.rfft(block, n_fft, axis=1)
    acf = np.fft.irfft(np.abs(spec) ** 2, n_fft, axis=1)
    energy = acf[:, :1]
    lo = int(sample_rate / F0_MAX)
    hi = min(int(sample_rate / F0_MIN), win - 1)
    # unbiased normalisation: shorter overlaps at long lags would otherwise lose height
    # (only the pitch range's lags are normalised: no other lag is looked at)
    band = acf[:, lo:hi] / np.maximum(energy, 1e-12) * (win / (win - np.arange(lo, hi)))
    best = band.max(axis=1, keepdims=True)
    # the shortest lag nearly as periodic as the best: multiples of the period (octave
    # errors) score as high as the period itself
    offsets = np.argmax(band >= 0.9 * best, axis=1)
    lags = offsets + lo
    peak = band[np.arange(len(block)), offsets]
    voiced = (peak > VOICING) & (energy[:, 0] > 1e-6 * win)
    f0 = np.zeros(len(block))
    f0[voiced] = sample_rate / lags[voiced]
    return f0


def prosody(samples: np.ndarray, sample_rate: int) -> Prosody:
    loud = normalised_loudness(loudness_db(samples, sample_rate, RATE))
    f0 = pitch_track(samples, sample_rate)
    n = min(loud.size, f0.size)
    return Prosody(f0[:n], loud[:n])


def arousal_steps(p: Prosody, phones: list[Phone], step: float
                  ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Arousal in [0, 1] per analysis step of `step` seconds (times are step centres):
    loudness, pitch height and pitch movement and phone rate, each relative to the clip's
    own median, averaged over the voiced part of the step. 0.5 is the speaker's usual."""
    duration = p.f0.size / RATE
    count = max(1, int(np.ceil(duration / step)))
    centres = (np.arange(count) + 0.5) * step
    voiced = p.f0 > 0
    semitones = semitones_of(p.f0)
    median_st = float(np.nanmedian(semitones)) if voiced.any() else 0.0
    speech = p.loudness > 0.35
    med_loud = float(np.median(p.loudness[speech])) if speech.any() else 0.5
    starts = np.array([ph.start for ph in phones if ph.label != SILENCE])
    overall_rate = starts.size / max(duration, 1e-6)
    out = np.full(count, 0.5)
    for i in range(count):
        a, b = int(i * step * RATE), int((i + 1) * step * RATE)
        if not speech[a:b].any():
            continue
        window = (starts >= i * step - step) & (starts < (i + 1) * step + step)
        rate = window.sum() / (3 * step)
        rate_term = (rate / overall_rate - 1.0) * 0.5 if overall_rate > 0 else 0.0
        out[i] = step_arousal(p.loudness[a:b], semitones[a:b], speech[a:b], med_loud,
                              median_st, rate_term)
    return centres, out


def semitones_of(f0: np.ndarray) -> np.ndarray:
    """Pitch in semitones above 100 Hz, NaN where unvoiced."""
    return np.where(f0 > 0, 12 * np.log2(np.maximum(f0, 1.0) / 100.0), np.nan)


def step_arousal(loudness: np.ndarray, semitones: np.ndarray, speech: np.ndarray,
                 med_loud: float, median_st: float, rate_term: float = 0.0) -> float:
    """Arousal in [0, 1] of one analysis step (0.5 without speech), from its loudness and
    pitch against the voice's medians: shared by the bake and the live stream, which only
    differ in where the medians come from (the whole clip, or what has been heard)."""
    if not speech.any():
        return 0.5
    loud_term = (float(loudness[speech].mean()) - med_loud) * 2.0
    st = semitones[~np.isnan(semitones)]
    pitch_term = ((float(st.mean()) - median_st) / 6.0 + float(st.std()) / 6.0 - 0.3) \
        if st.size > 2 else 0.0
    z = loud_term + 0.5 * pitch_term + 0.3 * rate_term
    return float(1.0 / (1.0 + np.exp(-3.0 * z)))
