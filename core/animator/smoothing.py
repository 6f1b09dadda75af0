"""Smoothing: zero-phase low-pass of the blended curves.

A symmetric Gaussian kernel has no phase: it rounds the corners that plateau edges leave
without delaying anything, so a closure still happens at the phone it belongs to. Each
articulator group gets its own width (the jaw is heavier than the lips). Closures are
imposed after this pass, so smoothing cannot soften them.
"""

from __future__ import annotations

import numpy as np

from .poses import CHANNEL_GROUP, GROUPS

# Gaussian standard deviation per group (GROUPS order), seconds.
SIGMA: tuple[float, ...] = (0.015, 0.010, 0.015, 0.015, 0.010)


def smooth(weights: np.ndarray, rate: float, sigma: tuple[float, ...] = SIGMA) -> np.ndarray:
    """Zero-phase Gaussian smoothing of (T, C) curves sampled at `rate` Hz."""
    out = weights.copy()
    for g in range(len(GROUPS)):
        channels = np.flatnonzero(g == CHANNEL_GROUP)
        s = sigma[g] * rate
        if s > 0.3 and weights.shape[0] > 1:
            out[:, channels] = _gaussian(weights[:, channels], s)
    return out


def _gaussian(curves: np.ndarray, sigma: float) -> np.ndarray:
    """Convolve (T, C) curves along time with a unit-sum Gaussian (4 sigma each side),
    holding the first and last values beyond the ends."""
    reach = int(4.0 * sigma + 0.5)
    kernel = np.exp(-0.5 * (np.arange(-reach, reach + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(curves, ((reach, reach), (0, 0)), mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, len(kernel), axis=0)
    return windows @ kernel
