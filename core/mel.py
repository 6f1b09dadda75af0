"""Log-mel features for the neural engine: 80 bands every 10 ms from 16 kHz audio.

Frame t is centred on sample t * HOP (time t / 100 s) and sees WINDOW samples around it, so
a file of n samples gives n // HOP + 1 frames, the same grid the loudness envelope uses.
`MelStream` computes the very same frames from audio that arrives in pieces: the offline
and streaming paths of the neural engine share one definition, bit for bit."""

from __future__ import annotations

from functools import cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .config import ANALYSIS_RATE

HOP = 160  # 10 ms
WINDOW = 400  # 25 ms Hann window
N_FFT = 512
N_MELS = 80
F_MIN, F_MAX = 40.0, 7600.0  # the band telephone-to-wideband speech shares
FLOOR = 1e-6  # power floor before the log: digital silence maps to ln(1e-6) = -13.8
HALF = WINDOW // 2  # look-ahead of one frame: its window reaches HALF samples past its centre


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + f / 700.0)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)


@cache
def mel_filterbank() -> np.ndarray:
    """(N_FFT // 2 + 1, N_MELS) triangular filters, equally spaced on the mel scale, each
    normalised to unit area so bands of different widths have comparable levels."""
    edges = _mel_to_hz(np.linspace(_hz_to_mel(F_MIN), _hz_to_mel(F_MAX), N_MELS + 2))
    freqs = np.fft.rfftfreq(N_FFT, 1.0 / ANALYSIS_RATE)
    low, centre, high = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs[None, :] - low) / (centre - low)
    falling = (high - freqs[None, :]) / (high - centre)
    bank = np.maximum(0.0, np.minimum(rising, falling))
    bank *= (2.0 / (high - low))
    return bank.T.astype(np.float32)


@cache
def _window() -> np.ndarray:
    return np.hanning(WINDOW + 2)[1:-1].astype(np.float32)  # periodic-like, no zero ends


def frame_count(samples: int) -> int:
    return samples // HOP + 1


def _frames_to_mel(frames: np.ndarray) -> np.ndarray:
    """(n, WINDOW) windows of samples -> (n, N_MELS) log-mel."""
    spectrum = np.fft.rfft(frames * _window(), n=N_FFT, axis=1)
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
    return np.log(power @ mel_filterbank() + FLOOR).astype(np.float32)


def log_mel(samples: np.ndarray, batch: int = 4096) -> np.ndarray:
    """(n,) float samples at ANALYSIS_RATE -> (n // HOP + 1, N_MELS) float32 log-mel."""
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    count = frame_count(len(x))
    padded = np.concatenate([np.zeros(HALF, np.float32), x, np.zeros(WINDOW, np.float32)])
    windows = sliding_window_view(padded, WINDOW)[::HOP][:count]
    out = np.empty((count, N_MELS), np.float32)
    for start in range(0, count, batch):  # bounded memory on long files
        out[start : start + batch] = _frames_to_mel(windows[start : start + batch])
    return out


class MelStream:
    """Log-mel frames of audio pushed in pieces of any size; equal to `log_mel` of the
    whole. A frame comes out as soon as its window is complete (HALF samples after its
    centre); `finish` pads the end with silence, as `log_mel` does."""

    def __init__(self) -> None:
        self._buffer = np.zeros(HALF, np.float32)  # the silence before sample 0
        self._emitted = 0  # frames given out so far
        self._received = 0  # samples pushed so far

    def push(self, samples: np.ndarray) -> np.ndarray:
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        self._received += len(x)
        self._buffer = np.concatenate([self._buffer, x])
        return self._drain()

    def finish(self) -> np.ndarray:
        """The frames left once the audio has ended."""
        wanted = frame_count(self._received) - self._emitted
        self._buffer = np.concatenate([self._buffer, np.zeros(WINDOW, np.float32)])
        return self._drain(limit=wanted)

    def _drain(self, limit: int | None = None) -> np.ndarray:
        ready = 0 if len(self._buffer) < WINDOW else (len(self._buffer) - WINDOW) // HOP + 1
        if limit is not None:
            ready = min(ready, limit)
        if ready <= 0:
            return np.zeros((0, N_MELS), np.float32)
        windows = sliding_window_view(self._buffer, WINDOW)[::HOP][:ready]
        out = _frames_to_mel(windows)
        self._buffer = self._buffer[ready * HOP :].copy()
        self._emitted += ready
        return out
