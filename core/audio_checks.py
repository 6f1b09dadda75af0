"""What the samples say: the input checks, accumulated block by block so a long file needs one
pass with bounded memory, and the mono mix (a channel choice and a gain) they decide.

Choices (see docs/errors.md for every message):
- Channels are averaged; if averaging cancels the signal (channels out of phase), the loudest
  channel is used instead and a warning says so.
- Quiet input (peak below -30 dBFS) is boosted with one file-wide gain to a -6 dBFS peak, so
  later stages see speech at a level the neural model was trained on (peaks -35 to -1 dBFS;
  below, its lips fade: event 0.97 at -30 dBFS, 0.89 at -37, 0.81 at -39.9 on the phone-tier
  clips). Below -40 dBFS a warning says so: that quiet, it may be the wrong file or track.
- Input shorter than 0.05 s (less than one animation frame at 20 fps) and silent input (peak
  below -80 dBFS) are refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .config import ANALYSIS_RATE
from .errors import AudioError

MIN_SECONDS = 0.05  # shortest usable input: one frame at 20 fps
SILENT_DBFS = -80.0  # a peak below this is silence (a few LSB of 16-bit noise)
BOOST_DBFS = -30.0  # a peak below this is boosted ...
QUIET_TARGET_DBFS = -6.0  # ... to this peak level
QUIET_DBFS = -40.0  # ... and below this with a warning
CLIP_LEVEL = 0.999  # |sample| at or above this counts as full scale
CLIP_FRACTION = 0.001  # more than this share of samples at full scale is reported as clipping
CANCEL_RATIO = 0.25  # mixed RMS below this share of the channels' RMS: channels cancel
TRUNCATION_TOLERANCE = 0.01  # decoded length may fall short of the header by this share


@dataclass
class Mix:
    """How to turn (channels, frames) into mono: a channel choice and a gain."""

    channel: int | None  # None: average all channels
    gain: float
    warnings: list[str]

    def apply(self, cols: np.ndarray) -> np.ndarray:
        """Mono float32 samples of a (channels, frames) block."""
        if len(cols) == 1:
            mono = cols[0]
        elif self.channel is None:
            mono = _mean_rows(cols)
        else:
            mono = cols[self.channel]
        if self.gain != 1.0:
            mono = mono * np.float32(self.gain)
        return np.ascontiguousarray(mono, dtype=np.float32)


def columns(x: np.ndarray) -> np.ndarray:
    """(frames, channels) as contiguous (channels, frames): numpy reduces a (frames, 2)
    array along its short axis ~30x slower than contiguous rows."""
    return np.ascontiguousarray(x.T, dtype=np.float32)


def as_float32(x: np.ndarray, name: str) -> np.ndarray:
    """Samples in memory as float32 in [-1, 1]: integer arrays scaled from their full range,
    anything that is not numbers refused."""
    if x.dtype.kind == "f":
        return x.astype(np.float32, copy=False)
    if x.dtype.kind == "i":
        return (x / float(2 ** (8 * x.dtype.itemsize - 1))).astype(np.float32)
    if x.dtype.kind == "u":
        half = float(2 ** (8 * x.dtype.itemsize - 1))
        return ((x - half) / half).astype(np.float32)
    if x.dtype.kind == "b":
        raise AudioError(f"cannot use {name}: samples are booleans, not audio")
    raise AudioError(f"cannot use {name}: samples of type {x.dtype} are not audio")


class SampleStats:
    """Everything the checks need, accumulated block by block so long files need one pass
    with bounded memory: non-finite samples, levels, clipping, channel cancellation."""

    def __init__(self, channels: int, sample_rate: int, name: str) -> None:
        self.channels = channels
        self.sample_rate = sample_rate
        self.name = name
        self.frames = 0
        self.peak = np.zeros(channels)
        self.full_scale = np.zeros(channels, dtype=np.int64)
        self.energy = np.zeros(channels)
        self.mean_peak = 0.0
        self.mean_energy = 0.0

    def update(self, cols: np.ndarray) -> None:
        """Add a (channels, frames) block."""
        if cols.shape[1] == 0:
            return
        energy = np.array([np.dot(row, row) for row in cols], dtype=np.float64)
        if not np.isfinite(energy).all():  # NaN and inf propagate into the sum of squares
            bad = np.flatnonzero(~np.isfinite(cols).all(axis=0))
            if len(bad):
                at = (self.frames + int(bad[0])) / self.sample_rate
                raise AudioError(
                    f"cannot use {self.name}: it contains NaN or infinite samples "
                    f"(first at {at:.3f} s)"
                )
            # finite but huge float samples overflowed float32 squares
            energy = np.array([np.dot(r.astype(np.float64), r) for r in cols])
        self.energy += energy
        for c, row in enumerate(cols):
            peak = max(float(row.max()), -float(row.min()))
            self.peak[c] = max(self.peak[c], peak)
            if peak >= CLIP_LEVEL:
                self.full_scale[c] += np.count_nonzero(row >= CLIP_LEVEL)
                self.full_scale[c] += np.count_nonzero(row <= -CLIP_LEVEL)
        if self.channels > 1:
            m = _mean_rows(cols)
            self.mean_peak = max(self.mean_peak, float(m.max()), -float(m.min()))
            self.mean_energy += float(np.dot(m.astype(np.float64), m))
        self.frames += cols.shape[1]

    def finish(self, declared_frames: int | None) -> Mix:
        """Raise for unusable input; otherwise decide the mix and collect warnings."""
        name, sr = self.name, self.sample_rate
        if self.frames == 0:
            raise AudioError(f"cannot use {name}: it has no audio (0 samples)")
        seconds = self.frames / sr
        if seconds < MIN_SECONDS:
            raise AudioError(
                f"cannot use {name}: it is too short ({seconds:.3f} s; "
                f"at least {MIN_SECONDS:.2f} s is needed, one animation frame)"
            )
        warnings: list[str] = []
        channel: int | None = None
        peak = float(self.peak[0])
        if self.channels > 1:
            peak = self.mean_peak
            rms_mean = math.sqrt(self.mean_energy / self.frames)
            rms_channels = float(np.sqrt(self.energy / self.frames).mean())
            if rms_channels > 0 and rms_mean < CANCEL_RATIO * rms_channels:
                channel = int(np.argmax(self.energy))
                peak = float(self.peak[channel])
                warnings.append(
                    f"the {self.channels} channels of {name} cancel out when mixed "
                    f"(out of phase); using channel {channel + 1} only"
                )
        if peak < 10 ** (SILENT_DBFS / 20):
            raise AudioError(f"cannot use {name}: it is silent (peak level {_dbfs(peak)})")
        if declared_frames and self.frames < declared_frames * (1 - TRUNCATION_TOLERANCE):
            warnings.append(
                f"{name} seems truncated or damaged: its header promises "
                f"{declared_frames / sr:.2f} s but only {seconds:.2f} s could be decoded"
            )
        clipped = float(self.full_scale.sum()) / (self.frames * self.channels)
        if clipped > CLIP_FRACTION:
            warnings.append(
                f"{name} is clipped: {100 * clipped:.1f}% of samples are at full scale; "
                "the result may be less accurate (record at a lower input level)"
            )
        gain = 1.0
        if peak < 10 ** (BOOST_DBFS / 20):
            gain = 10 ** (QUIET_TARGET_DBFS / 20) / peak
        if peak < 10 ** (QUIET_DBFS / 20):
            warnings.append(
                f"{name} is very quiet (peak level {_dbfs(peak)}); boosted by "
                f"{20 * math.log10(gain):.1f} dB - check that this is the intended recording"
            )
        if sr < ANALYSIS_RATE:
            warnings.append(
                f"{name} has a low sample rate ({sr} Hz): sounds above {sr // 2} Hz are "
                "missing, so lip sync may be less accurate"
            )
        return Mix(channel, gain, warnings)


def _mean_rows(cols: np.ndarray) -> np.ndarray:
    """The channels' average, summed row by row (contiguous, no (frames, channels) copy)."""
    total = cols[0].copy()
    for row in cols[1:]:
        total += row
    total *= np.float32(1.0 / len(cols))
    return total


def _dbfs(peak: float) -> str:
    return "-inf dBFS" if peak <= 0 else f"{20 * math.log10(peak):.1f} dBFS"
