"""Smoothing: zero-phase low-pass of the blended curves.

A symmetric Gaussian kernel has no phase: it rounds the corners that plateau edges leave
without delaying anything, so a closure still happens at the phone it belongs to. Each
articulator group gets its own width (the jaw is heavier than the lips). Closures are
imposed after this pass, so smoothing cannot soften them.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

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
            out[:, channels] = gaussian_filter1d(weights[:, channels], s, axis=0, mode="nearest")
    return out
