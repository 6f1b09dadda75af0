"""Strength: how strongly the face articulates, from a still mouth (0) to crisp (> 1).

All animated channels scale together, so every pose keeps its shape: mouthClose still
matches jawOpen in a closure (lips stay sealed at any strength) and 0 is the neutral face."""

from __future__ import annotations

import numpy as np

from ..names import OVR15

_SIL = OVR15.index("sil")


def apply_strength(weights: np.ndarray, strength: float) -> np.ndarray:
    """Scale the curves by `strength`, clipped to [0, 1]."""
    return np.clip(weights * max(strength, 0.0), 0.0, 1.0)


def apply_viseme_strength(visemes: np.ndarray, strength: float) -> np.ndarray:
    """Below 1, mix the viseme weights towards silence (weights still sum to 1)."""
    s = min(max(strength, 0.0), 1.0)
    out = visemes * s
    out[:, _SIL] += 1.0 - s
    return out
