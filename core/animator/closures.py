"""Closures: every P, B and M seals the lips, however fast the speech.

Blending alone lets a short bilabial between two open vowels be averaged away; viewers
notice a missing closure more than anything else. This pass runs after blending and
smoothing and imposes the seal on the lips: over a hold of at least `min_hold` (centred on
the phone, so also on very short phones) mouthClose is raised to the jaw opening, the lips
are pressed, and lip-opening shapes are released, with raised-cosine ramps either side. The
jaw itself is only drawn up part of the way (lips close faster than the jaw rises). A long
bilabial (a held "mmm", the closure of a slow P) stays sealed nearly all through: the lips
that make the hum do not wait for its middle.
"""

from __future__ import annotations

import numpy as np

from ..names import ARKIT_INDEX, BILABIALS
from ..phones import Phone

_JAW = ARKIT_INDEX["jawOpen"]
_CLOSE = ARKIT_INDEX["mouthClose"]
_PRESS = [ARKIT_INDEX["mouthPressLeft"], ARKIT_INDEX["mouthPressRight"]]
_OPENERS = [
    ARKIT_INDEX[name]
    for name in (
        "mouthFunnel", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft",
        "mouthUpperUpRight", "mouthShrugUpper", "mouthRollUpper", "tongueOut",
    )
]  # fmt: skip
SEAL_MARGIN = 0.02  # mouthClose above jawOpen: lips pressed just past touching
PRESS = 0.25
JAW_RISE = 0.4  # fraction of the jaw opening above JAW_FLOOR taken back during a closure
JAW_FLOOR = 0.08
EDGE = 0.2  # share of a bilabial at either end left to the ramps (aligners are ±20 ms) ...
MAX_EDGE = 0.03  # s: ... but never more than this, so a long one is sealed all through


def closure_envelope(
    phones: list[Phone], times: np.ndarray, min_hold: float, ramp: float
) -> np.ndarray:
    """(T,) in [0, 1]: 1 while the lips must be sealed, raised-cosine ramps to 0 around."""
    env = np.zeros(times.shape[0])
    for p in phones:
        if p.label not in BILABIALS:
            continue
        centre = 0.5 * (p.start + p.end)
        half = 0.5 * max(min_hold, p.duration - 2.0 * min(EDGE * p.duration, MAX_EDGE))
        a, b = centre - half, centre + half
        i0 = np.searchsorted(times, a - ramp)
        i1 = np.searchsorted(times, b + ramp, side="right")
        t = times[i0:i1]
        dist = np.maximum(np.maximum(a - t, t - b), 0.0) / max(ramp, 1e-9)
        shape = np.where(dist < 1.0, 0.5 + 0.5 * np.cos(np.pi * np.minimum(dist, 1.0)), 0.0)
        env[i0:i1] = np.maximum(env[i0:i1], shape)
    return env


def apply_closures(weights: np.ndarray, envelope: np.ndarray) -> np.ndarray:
    """Seal the lips where `envelope` is 1 (blend towards the seal where it is between)."""
    out = weights.copy()
    e = envelope
    jaw = out[:, _JAW]
    jaw = jaw - e * JAW_RISE * np.maximum(jaw - JAW_FLOOR, 0.0)
    out[:, _JAW] = jaw
    out[:, _CLOSE] = np.maximum(out[:, _CLOSE], e * (jaw + SEAL_MARGIN))
    for c in _PRESS:
        out[:, c] = np.maximum(out[:, c], e * PRESS)
    for c in _OPENERS:
        out[:, c] *= 1.0 - e
    # ARKit convention everywhere: mouthClose never exceeds what the jaw opened (beyond the
    # seal margin), or lips would pass through each other on rigs that do not clamp.
    out[:, _CLOSE] = np.minimum(out[:, _CLOSE], jaw + SEAL_MARGIN)
    return out
