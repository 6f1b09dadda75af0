"""Pauses: rest in real pauses, not in the short gaps between words.

A silence long enough to be a pause holds the rest pose firmly from shortly after speech
stops until shortly before it resumes (the following phone's anticipation then opens the
mouth, as a breath onset does). A short gap between words holds the rest pose only weakly,
so the neighbours keep the mouth moving through it instead of snapping shut.
"""

from __future__ import annotations

import numpy as np

from ..names import SILENCE
from .poses import GROUPS, LABEL_INDEX
from .timing import Targets

_SIL = LABEL_INDEX[SILENCE]
SHORT_GAP = 0.10  # s: a gap this short barely pulls towards rest
REST_DOMINANCE = 3.0  # dominance of rest in a full pause (vs 1 for a vowel on the jaw)
GAP_DOMINANCE = 0.3  # dominance of rest in a short gap


def apply_pauses(
    targets: Targets, pause_min: float, rest_delay: float, onset_lead: float
) -> Targets:
    """Set each silence target's plateau and dominance from its length.

    `pause_min`: silences at least this long hold rest at full dominance; `rest_delay`: time
    from the end of speech to the start of rest; `onset_lead`: how long before speech rest
    is released.
    """
    sil = targets.label == _SIL
    if not np.any(sil):
        return targets
    start, end = targets.start[sil], targets.end[sil]
    length = end - start
    span = max(pause_min - SHORT_GAP, 1e-6)
    pauseness = np.clip((length - SHORT_GAP) / span, 0.0, 1.0)
    dominance = GAP_DOMINANCE + (REST_DOMINANCE - GAP_DOMINANCE) * pauseness
    # At the very start and end of the timeline there is no speech to release or approach.
    first, last = start <= 1e-6, end >= targets.end.max() - 1e-6
    delay = np.where(first, 0.0, np.minimum(rest_delay, 0.5 * length))
    lead = np.where(last, 0.0, np.minimum(onset_lead, 0.5 * length))
    lo, hi = start + delay, end - lead
    out_lo, out_hi = targets.lo.copy(), targets.hi.copy()
    out_lo[sil], out_hi[sil] = lo, np.maximum(lo, hi)
    out_dom = targets.dominance.copy()
    out_dom[sil] = dominance[:, None] * np.ones(len(GROUPS))
    return Targets(targets.label, out_lo, out_hi, targets.start, targets.end, out_dom)
