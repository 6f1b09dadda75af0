"""Canonical names shared by every producer and consumer (see DESIGN.md)."""

from __future__ import annotations

# ARKit-52 in Unreal / Live Link index order. Index positions are part of the file format.
ARKIT52: tuple[str, ...] = (
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft",
    "eyeSquintLeft", "eyeWideLeft", "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight",
    "eyeLookOutRight", "eyeLookUpRight", "eyeSquintRight", "eyeWideRight", "jawForward",
    "jawLeft", "jawRight", "jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthLeft",
    "mouthRight", "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
    "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthPressLeft",
    "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft",
    "mouthUpperUpRight", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft",
    "browOuterUpRight", "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "noseSneerLeft",
    "noseSneerRight", "tongueOut",
)  # fmt: skip
ARKIT_INDEX: dict[str, int] = {name: i for i, name in enumerate(ARKIT52)}

# Meta/OVR lip-sync visemes; VRChat's `Viseme` int parameter is the index in this tuple.
OVR15: tuple[str, ...] = (
    "sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "ih", "oh", "ou",
)  # fmt: skip

# ARPAbet phones without stress digits, as pocketsphinx's en-us model and CMUdict use them.
SILENCE = "sil"
VOWELS: frozenset[str] = frozenset(
    ["AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"]
)
CONSONANTS: frozenset[str] = frozenset(
    ["B", "CH", "D", "DH", "F", "G", "HH", "JH", "K", "L", "M", "N",
     "NG", "P", "R", "S", "SH", "T", "TH", "V", "W", "Y", "Z", "ZH"]
)
ARPABET: frozenset[str] = VOWELS | CONSONANTS
BILABIALS: frozenset[str] = frozenset({"P", "B", "M"})
