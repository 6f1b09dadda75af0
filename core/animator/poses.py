"""Rules: the target mouth pose of every ARPAbet phone and of silence, as ARKit-52 weights.

A pose is what the mouth looks like at the phone's articulatory target, before neighbours
pull on it. Values were set from articulatory phonetics (jaw by vowel height, lips by
rounding/spreading, place of articulation for consonants) and checked on the ICT rig with
`voxrig.core.rig.mouth_signals` (lip gap / mouth width in mm; see docs/animator.md).

On ARKit rigs the lips meet when mouthClose is about equal to jawOpen (mouthClose pulls the
lips together against the open jaw), so closed poses always pair the two.

Channels are split into articulator groups that coarticulate differently (their own
dominance and time constants): the jaw is slow and driven by vowels, the lips are quick and
driven by labial consonants, rounding spreads far over neighbouring consonants.
"""

from __future__ import annotations

import numpy as np

from ..names import ARKIT52, ARKIT_INDEX, SILENCE

GROUPS: tuple[str, ...] = ("jaw", "lips", "round", "spread", "tongue")

_GROUP_CHANNELS: dict[str, tuple[str, ...]] = {
    "jaw": ("jawOpen", "jawForward"),
    "lips": (
        "mouthClose", "mouthPressLeft", "mouthPressRight", "mouthRollLower", "mouthRollUpper",
        "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft", "mouthUpperUpRight",
        "mouthShrugLower", "mouthShrugUpper",
    ),
    "round": ("mouthFunnel", "mouthPucker"),
    "spread": (
        "mouthStretchLeft", "mouthStretchRight", "mouthSmileLeft", "mouthSmileRight",
        "mouthDimpleLeft", "mouthDimpleRight", "cheekSquintLeft", "cheekSquintRight",
    ),
    "tongue": ("tongueOut",),
}  # fmt: skip

# Group index of every ARKit channel the animator drives; -1 = not driven (eyes, brows...).
CHANNEL_GROUP: np.ndarray = np.full(len(ARKIT52), -1, dtype=np.int64)
for _g, _group in enumerate(GROUPS):
    for _name in _GROUP_CHANNELS[_group]:
        CHANNEL_GROUP[ARKIT_INDEX[_name]] = _g


def _pose(**channels: float) -> dict[str, float]:
    """Expand symmetric shorthands (`press` -> mouthPressLeft + mouthPressRight, ...)."""
    short = {
        "jaw": ("jawOpen",), "close": ("mouthClose",), "funnel": ("mouthFunnel",),
        "pucker": ("mouthPucker",), "press": ("mouthPressLeft", "mouthPressRight"),
        "roll_lower": ("mouthRollLower",), "roll_upper": ("mouthRollUpper",),
        "lower_down": ("mouthLowerDownLeft", "mouthLowerDownRight"),
        "upper_up": ("mouthUpperUpLeft", "mouthUpperUpRight"),
        "stretch": ("mouthStretchLeft", "mouthStretchRight"),
        "smile": ("mouthSmileLeft", "mouthSmileRight"),
        "shrug_lower": ("mouthShrugLower",), "shrug_upper": ("mouthShrugUpper",),
        "tongue": ("tongueOut",), "jaw_forward": ("jawForward",),
        "cheek": ("cheekSquintLeft", "cheekSquintRight"),
    }  # fmt: skip
    out: dict[str, float] = {}
    for key, value in channels.items():
        for name in short[key]:
            out[name] = value
    return out


# Target poses. Vowel jaw by height: open (AA AE AO AW AY) > mid (AH EH ER OW) > close
# (IH IY UH UW). Rounded vowels pucker/funnel; front vowels spread.
POSES: dict[str, dict[str, float]] = {
    SILENCE: _pose(),  # rest: relaxed, lips lightly together
    # vowels
    "AA": _pose(jaw=0.30, lower_down=0.10),
    "AE": _pose(jaw=0.26, lower_down=0.15, upper_up=0.10, stretch=0.25, smile=0.10),
    "AH": _pose(jaw=0.25, lower_down=0.10),
    "AO": _pose(jaw=0.27, funnel=0.25, pucker=0.15),
    "EH": _pose(jaw=0.19, lower_down=0.10, stretch=0.20, smile=0.10),
    "ER": _pose(jaw=0.13, funnel=0.20, pucker=0.30),
    "IH": _pose(jaw=0.13, lower_down=0.05, stretch=0.20, smile=0.15),
    "IY": _pose(jaw=0.10, lower_down=0.10, stretch=0.25, smile=0.30, cheek=0.10),
    "UH": _pose(jaw=0.12, funnel=0.25, pucker=0.35),
    "UW": _pose(jaw=0.09, funnel=0.20, pucker=0.65),
    # diphthongs are animated as two targets (see DIPHTHONGS); these are their first parts
    "AW": _pose(jaw=0.30, lower_down=0.10),
    "AY": _pose(jaw=0.30, lower_down=0.10),
    "EY": _pose(jaw=0.19, lower_down=0.10, stretch=0.20, smile=0.10),
    "OW": _pose(jaw=0.20, funnel=0.35, pucker=0.35),
    "OY": _pose(jaw=0.27, funnel=0.25, pucker=0.15),
    # bilabials: lips sealed against a nearly closed jaw (P/B pressed harder than M)
    "P": _pose(jaw=0.06, close=0.08, press=0.35),
    "B": _pose(jaw=0.06, close=0.08, press=0.30),
    "M": _pose(jaw=0.06, close=0.08, press=0.20),
    # labiodentals: lower lip tucked under the upper teeth, upper lip raised a little
    "F": _pose(jaw=0.06, close=0.03, roll_lower=0.45, upper_up=0.15),
    "V": _pose(jaw=0.06, close=0.03, roll_lower=0.40, upper_up=0.12),
    # dentals: tongue tip between the teeth
    "TH": _pose(jaw=0.12, tongue=0.35, lower_down=0.05),
    "DH": _pose(jaw=0.10, tongue=0.20),
    # alveolars: jaw fairly high, lips neutral; sibilants close the teeth and show them
    "T": _pose(jaw=0.09, lower_down=0.05),
    "D": _pose(jaw=0.09, lower_down=0.05),
    "N": _pose(jaw=0.09),
    "S": _pose(jaw=0.05, lower_down=0.12, upper_up=0.10, stretch=0.15),
    "Z": _pose(jaw=0.05, lower_down=0.12, upper_up=0.10, stretch=0.15),
    "L": _pose(jaw=0.15, lower_down=0.05),  # tongue tip up behind the teeth: jaw open
    # post-alveolars: lips protruded and flared, teeth close
    "SH": _pose(jaw=0.06, funnel=0.25, pucker=0.30, upper_up=0.05),
    "ZH": _pose(jaw=0.06, funnel=0.25, pucker=0.30, upper_up=0.05),
    "CH": _pose(jaw=0.06, funnel=0.22, pucker=0.30, upper_up=0.05),
    "JH": _pose(jaw=0.06, funnel=0.22, pucker=0.30, upper_up=0.05),
    "R": _pose(jaw=0.09, funnel=0.10, pucker=0.35),
    "Y": _pose(jaw=0.08, stretch=0.20, smile=0.20),
    "W": _pose(jaw=0.06, funnel=0.20, pucker=0.70),
    # velars and glottal: lips and jaw mostly follow the neighbours
    "K": _pose(jaw=0.12),
    "G": _pose(jaw=0.12),
    "NG": _pose(jaw=0.11),
    "HH": _pose(jaw=0.15),
}

# Diphthongs glide between two targets: (first, second) pose names and the fraction of the
# phone's duration at which each part's target is centred.
DIPHTHONGS: dict[str, tuple[str, str]] = {
    "AW": ("AW", "UH"),
    "AY": ("AY", "IH"),
    "EY": ("EY", "IY"),
    "OW": ("OW", "UW"),
    "OY": ("OY", "IY"),
}

LABELS: tuple[str, ...] = tuple(POSES)
LABEL_INDEX: dict[str, int] = {label: i for i, label in enumerate(LABELS)}


def pose_matrix() -> np.ndarray:
    """(len(LABELS), 52) target weights, one row per label in LABELS order."""
    out = np.zeros((len(LABELS), len(ARKIT52)), dtype=np.float64)
    for i, label in enumerate(LABELS):
        for name, value in POSES[label].items():
            out[i, ARKIT_INDEX[name]] = value
    return out


# How strongly each phone holds each articulator group against its neighbours (Cohen-Massaro
# dominance magnitude). Vowels own the jaw, labials own the lips, rounded sounds own rounding,
# and sounds made inside the mouth let the lips take their neighbours' shape (so rounding
# spreads over "s t k" in "stoop").
_CLASS_DOMINANCE: dict[str, tuple[float, float, float, float, float]] = {
    #            jaw   lips  round spread tongue
    "vowel":    (1.0,  0.6,  0.5,  0.7,  0.3),
    "spread_v": (1.0,  0.6,  0.9,  1.0,  0.3),  # front vowels actively unround the lips
    "round_v":  (1.0,  0.8,  1.2,  0.5,  0.3),
    "bilabial": (0.7,  3.0,  0.2,  0.3,  0.3),
    "labiodent": (0.9, 2.5,  0.3,  0.3,  0.3),
    "dental":   (0.5,  0.3,  0.2,  0.2,  2.0),
    "alveolar": (0.5,  0.2,  0.1,  0.2,  0.5),
    "sibilant": (0.8,  0.4,  0.1,  0.3,  0.5),
    "postalv":  (0.7,  0.8,  1.0,  0.3,  0.5),
    "rhotic":   (0.4,  0.6,  0.9,  0.3,  0.3),
    "glide_w":  (0.5,  1.0,  2.5,  0.5,  0.3),
    "glide_y":  (0.4,  0.4,  0.3,  0.8,  0.3),
    "velar":    (0.4,  0.1,  0.1,  0.1,  0.3),
    "glottal":  (0.1,  0.05, 0.05, 0.05, 0.1),
    "silence":  (1.0,  1.0,  1.0,  1.0,  1.0),  # scaled by pause length in the pauses pass
}  # fmt: skip

_PHONE_CLASS: dict[str, str] = {
    **{v: "vowel" for v in ["AA", "AH", "AW", "AY", "OY"]},
    **{v: "spread_v" for v in ["AE", "EH", "EY", "IH", "IY"]},
    **{v: "round_v" for v in ["AO", "ER", "OW", "UH", "UW"]},
    **{c: "bilabial" for c in ["P", "B", "M"]},
    **{c: "labiodent" for c in ["F", "V"]},
    **{c: "dental" for c in ["TH", "DH"]},
    **{c: "alveolar" for c in ["T", "D", "N", "L"]},
    **{c: "sibilant" for c in ["S", "Z"]},
    **{c: "postalv" for c in ["SH", "ZH", "CH", "JH"]},
    "R": "rhotic", "W": "glide_w", "Y": "glide_y",
    **{c: "velar" for c in ["K", "G", "NG"]},
    "HH": "glottal", SILENCE: "silence",
}  # fmt: skip


def dominance_matrix() -> np.ndarray:
    """(len(LABELS), len(GROUPS)) dominance magnitudes, one row per label."""
    return np.array([_CLASS_DOMINANCE[_PHONE_CLASS[label]] for label in LABELS])
