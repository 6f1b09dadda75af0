"""Audio resampling: band-limited polyphase rate conversion of mono float32 samples, whole or
fed block by block with exactly the same output (no seams), in numpy alone (scipy.signal
would cost about 1 s of start-up). Audio in (core/audio.py) brings every input to the
analysis rate with it; the engines use `resample` for audio that arrives at another rate."""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Mono float32 samples from `rate_in` to `rate_out` Hz (band-limited, no delay)."""
    return Resampler(rate_in, rate_out).run(x)


def _lowpass_taps(up: int, down: int) -> np.ndarray:
    """The anti-aliasing filter scipy's resample_poly designs by default: a Kaiser-windowed
    (beta 5) sinc with 10 zero crossings per side of the slower rate, unity gain at DC."""
    half = 10 * max(up, down)
    n = np.arange(2 * half + 1) - half
    taps = np.sinc(n / max(up, down)) * np.kaiser(2 * half + 1, 5.0)
    return taps / taps.sum()


def _polyphase(x: np.ndarray, up: int, down: int, taps: np.ndarray) -> np.ndarray:
    """Upsample by `up`, filter with `taps` (centred), keep every `down`-th sample: output m
    is sum_j x[j] * up * taps[m*down + half - j*up], with zeros beyond both ends.

    Done one filter phase at a time: the outputs m0, m0 + up, m0 + 2 up, ... share a phase,
    and their inputs are windows of x `down` samples apart, so each phase is one strided
    matrix-vector product. (numpy only: importing scipy.signal costs ~1 s of start-up.)"""
    x = np.asarray(x, dtype=np.float32)
    half = (len(taps) - 1) // 2
    n_out = -(-len(x) * up // down)
    width = -(-len(taps) // up) + 1  # input samples under the filter for one output
    padded_taps = np.zeros(width * up)
    padded_taps[: len(taps)] = taps * up
    bank = padded_taps.reshape(width, up).T[:, ::-1].astype(np.float32)  # phase -> taps
    # x[j] sits at padded[j + width]; the window ending at input j starts at padded[j + 1].
    padded = np.concatenate([np.zeros(width, np.float32), x,
                             np.zeros(width + down + 1, np.float32)])  # fmt: skip
    windows = sliding_window_view(padded, width)
    y = np.empty(n_out, dtype=np.float32)
    for m0 in range(min(up, n_out)):
        t = m0 * down + half
        count = len(range(m0, n_out, up))
        start = t // up + 1
        y[m0::up] = windows[start : start + count * down : down] @ bank[t % up]
    return y


class Resampler:
    """Polyphase resampling fed block by block, giving exactly the samples one
    `_polyphase` call on the whole signal would give (zero-padded ends included).

    Each step resamples a stretch whose start and end are multiples of ``down`` (so its
    output lands on the whole-signal output grid) with ``pad`` input samples of real context
    on both sides, longer than the filter reaches; only the middle is kept. No seams."""

    def __init__(self, rate_in: int, rate_out: int) -> None:
        g = math.gcd(rate_in, rate_out)
        self.up, self.down = rate_out // g, rate_in // g
        self.identity = self.up == self.down
        if not self.identity:
            half_len = 10 * max(self.up, self.down)
            self.taps = _lowpass_taps(self.up, self.down)
            reach = math.ceil(half_len / self.up) + 2  # input samples the filter touches
            self.pad = math.ceil(reach / self.down) * self.down
        else:
            self.pad = 0
        self.buffer = np.zeros(self.pad, dtype=np.float32)  # starts at input index `start - pad`
        self.start = 0  # first input index whose output has not been produced

    def run(self, x: np.ndarray) -> np.ndarray:
        """Whole signal at once (the short-file path)."""
        if self.identity:
            return np.ascontiguousarray(x, dtype=np.float32)
        y = _polyphase(x, self.up, self.down, self.taps)
        return y.astype(np.float32, copy=False)

    def feed(self, x: np.ndarray) -> np.ndarray:
        if self.identity:
            return x
        self.buffer = np.concatenate([self.buffer, x])
        available = self.start - self.pad + len(self.buffer)
        end = (available - self.pad) // self.down * self.down
        if end <= self.start:
            return np.zeros(0, dtype=np.float32)
        used = end + self.pad - (self.start - self.pad)
        y = self._middle(self.buffer[:used], (end - self.start) * self.up // self.down)
        self.buffer = self.buffer[end - self.start :]
        self.start = end
        return y

    def flush(self) -> np.ndarray:
        if self.identity:
            return np.zeros(0, dtype=np.float32)
        count = math.ceil((len(self.buffer) - self.pad) * self.up / self.down)
        y = self._middle(self.buffer, count)
        self.buffer = np.zeros(0, dtype=np.float32)
        return y

    def _middle(self, x: np.ndarray, count: int) -> np.ndarray:
        y = _polyphase(x, self.up, self.down, self.taps)
        skip = self.pad * self.up // self.down
        return y[skip : skip + count].astype(np.float32, copy=False)


def output_length(frames: int, rate_in: int, rate_out: int) -> int:
    """Samples `Resampler` makes from `frames` input samples (the whole signal's count)."""
    g = math.gcd(rate_in, rate_out)
    return math.ceil(frames * (rate_out // g) / (rate_in // g))
