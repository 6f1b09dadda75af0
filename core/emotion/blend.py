"""Adding expression and idle motion to lip sync without breaking articulation.

Upper-face channels simply add. Mouth channels add with a limit, so a smile shapes the
corners but cannot take over the lips; around bilabial closures (P, B, M) the mouth takes no
expression at all (the lips must seal, whatever the mood), and around rounded sounds (W, UW,
OW, ...) no widening (smile, stretch, dimple): the lips must round.
"""

from __future__ import annotations

import numpy as np

from ..clip import span
from ..names import ARKIT52, BILABIALS
from ..phones import Phone

MOUTH = np.array([n.startswith(("mouth", "jaw", "tongue")) for n in ARKIT52])
WIDENING = np.array([n.startswith(("mouthSmile", "mouthStretch", "mouthDimple"))
                     for n in ARKIT52])
ROUNDED = frozenset({"W", "UW", "OW", "UH", "OY", "AW"})


def bilabial_mask(phones: list[Phone], frame_times: np.ndarray, margin: float = 0.04,
                  ramp: float = 0.05, labels: frozenset[str] = BILABIALS) -> np.ndarray:
    """Per frame, how strongly a bilabial closure holds the lips (1 inside a P/B/M widened by
    `margin`, fading to 0 over `ramp` seconds, so expression leaves and returns smoothly).
    Other `labels` give the same mask for other phones (ROUNDED)."""
    mask = np.zeros(frame_times.size)
    for ph in phones:
        if ph.label not in labels:
            continue
        a, b = ph.start - margin, ph.end + margin
        near = span(frame_times, a - ramp, b + ramp)
        times = frame_times[near]
        distance = np.maximum(a - times, times - b)
        mask[near] = np.maximum(mask[near], np.clip(1.0 - distance / ramp, 0.0, 1.0))
    return mask


def blend(base: np.ndarray, extra: np.ndarray, closure: np.ndarray,
          mouth_limit: float = 0.35, rounding: np.ndarray | None = None,
          out: np.ndarray | None = None) -> np.ndarray:
    """`base` lip sync (T, 52) plus `extra` expression / idle weights (T, 52); `closure`
    and `rounding` are the masks of bilabials and rounded sounds. `out` (float32, e.g.
    `extra` itself) receives the result: each (T, 52) array of 2 hours is 45 MB."""
    if out is None:
        out = extra.astype(np.float32)
    elif out is not extra:
        out[:] = extra
    out[:, MOUTH] = np.minimum(out[:, MOUTH], mouth_limit) * (1.0 - closure[:, None])
    if rounding is not None:
        out[:, WIDENING] *= 1.0 - rounding[:, None]
    out += base
    return np.clip(out, 0.0, 1.0, out=out)
