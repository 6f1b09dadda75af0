"""Resampling animation curves to any output frame rate without phase lag.

Curves are computed on a fine internal grid (sample j at j / src_rate) and read at the frame
times i / dst_fps by linear interpolation between the two neighbouring samples. Nothing is
delayed: frame i shows exactly the state of the face at time i / dst_fps, at 24, 25, 29.97,
30, 50 or 60 fps alike."""

from __future__ import annotations

import numpy as np

from .clip import frame_count_for


def frame_times(duration: float, fps: float) -> np.ndarray:
    """Times of the frames covering [0, duration] at `fps` (frame i at i / fps)."""
    return np.arange(frame_count_for(duration, fps), dtype=np.float64) / fps


def resample_curves(
    values: np.ndarray, src_rate: float, dst_fps: float, duration: float
) -> np.ndarray:
    """(N, C) or (N,) curves sampled at `src_rate` Hz -> (T, C) or (T,) at `dst_fps`, where
    T = frame_count_for(duration, dst_fps). Beyond the last sample the last value holds."""
    if dst_fps <= 0:
        raise ValueError("rates must be positive")
    return curves_at(values, src_rate, frame_times(duration, dst_fps))


def curves_at(values: np.ndarray, src_rate: float, times: np.ndarray) -> np.ndarray:
    """(N, C) or (N,) curves sampled at `src_rate` Hz (sample j at j / src_rate), read at
    `times` seconds by linear interpolation between the two neighbouring samples; before
    the first and past the last sample the end values hold. The one interpolation every
    curve goes through on its way to a frame grid (the animator's, a chunk's, the bench's)."""
    values = np.asarray(values, dtype=np.float64)
    if src_rate <= 0:
        raise ValueError("rates must be positive")
    if values.shape[0] == 0:
        raise ValueError("no samples to resample")
    position = np.asarray(times, dtype=np.float64) * src_rate  # fractional sample index
    position = np.clip(position, 0.0, values.shape[0] - 1)
    left = np.floor(position).astype(np.int64)
    right = np.minimum(left + 1, values.shape[0] - 1)
    frac = position - left
    if values.ndim == 1:
        return values[left] * (1.0 - frac) + values[right] * frac
    return values[left] * (1.0 - frac)[:, None] + values[right] * frac[:, None]
