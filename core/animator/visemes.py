"""Visemes: OVR-15 weights from the same targets as the ARKit curves.

Each target votes for one viseme; votes are blended with the same dominance machinery (each
phone's dominance is that of its most important articulator, with the lips' time
constants), so the weights change smoothly, anticipate like the curves do, and sum to 1.
"""

from __future__ import annotations

import numpy as np

from ..names import OVR15, SILENCE
from .coarticulation import TimeConstants, blend
from .poses import LABELS
from .timing import Targets

VISEME_OF: dict[str, str] = {
    SILENCE: "sil",
    **{p: "PP" for p in ["P", "B", "M"]},
    **{p: "FF" for p in ["F", "V"]},
    **{p: "TH" for p in ["TH", "DH"]},
    **{p: "DD" for p in ["T", "D"]},
    **{p: "kk" for p in ["K", "G", "HH"]},
    **{p: "CH" for p in ["CH", "JH", "SH", "ZH"]},
    **{p: "SS" for p in ["S", "Z"]},
    **{p: "nn" for p in ["N", "NG", "L"]},
    **{p: "RR" for p in ["R", "ER"]},
    **{p: "aa" for p in ["AA", "AE", "AH", "AW", "AY"]},
    **{p: "E" for p in ["EH", "EY"]},
    **{p: "ih" for p in ["IH", "IY", "Y"]},
    **{p: "oh" for p in ["AO", "OW", "OY"]},
    **{p: "ou" for p in ["UW", "UH", "W"]},
}

_LIPS = TimeConstants().anticipation[1], TimeConstants().carryover[1]
VISEME_CONSTANTS = TimeConstants(anticipation=(_LIPS[0],), carryover=(_LIPS[1],))


def viseme_matrix() -> np.ndarray:
    """(len(LABELS), 15) one-hot viseme of every pose label."""
    out = np.zeros((len(LABELS), len(OVR15)))
    for i, label in enumerate(LABELS):
        out[i, OVR15.index(VISEME_OF[label])] = 1.0
    return out


def viseme_weights(targets: Targets, times: np.ndarray) -> np.ndarray:
    """(T, 15) OVR-15 weights summing to 1 at every time."""
    single = Targets(
        targets.label, targets.lo, targets.hi, targets.start, targets.end,
        targets.dominance.max(axis=1, keepdims=True),
    )  # fmt: skip
    groups = np.zeros(len(OVR15), dtype=np.int64)
    return blend(single, viseme_matrix(), times, VISEME_CONSTANTS, groups)
