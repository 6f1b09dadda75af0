"""OVR-15 visemes read off the mouth shape itself, for clips whose phones are not known (the
neural engine without a transcript): the weights say what the lips do, so the visemes follow
the same mouth instead of a guess at the sounds.

Each frame is measured on the ICT rig (`voxrig.core.rig.mouth_signals`): the lip gap and how
much narrower (rounded) or wider (spread) than at rest the mouth is beyond what the open jaw
does, in mm, plus how far the lower lip is tucked under the upper teeth (mouthRollLower) and
the tongue shown (tongueOut).
Every viseme that the lips can show has a typical place in that space (PROTOTYPES); a frame's
weights are a softmax of minus half its squared scaled distance to each, so a frame right on
a viseme gives it nearly all the weight and a frame between two shares it; lips together
(a small gap, whatever the width) are PP, or FF when the lower lip is tucked. The weights sum
to 1, like the phonetic animator's.

Visemes that differ only inside the mouth get no prototype of their own: nn looks like DD or
kk on the lips, CH and SS like ih or RR; they are never chosen without phones. TH needs the
tongue out, which only a rig channel can show. In pauses (frames not `speaking`) lips at rest
or together are silence (sil), not a closure (PP).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from .names import ARKIT52, ARKIT_INDEX, OVR15
from .rig import mouth_signals

# (lip gap mm, rounding mm (+ rounded, - spread), lower lip tucked (mouthRollLower), tongue
# out) of each viseme's typical mouth. Read from what the neural model does at forced-aligned
# phones of LJSpeech (medians over each phone: closures reach 0 mm; open vowels 6-9 mm with
# no rounding; OW/UW/AO rounded 2.5-4 mm; IY/EY/AE spread 2-4 mm; T/D/N 3-5 mm) and checked
# on the rig posed with the phonetic animator's targets.
PROTOTYPES: dict[str, tuple[float, float, float, float]] = {
    "FF": (2.0, 0.0, 0.15, 0.0),
    "TH": (3.0, 0.0, 0.0, 0.35),
    "DD": (2.5, 0.0, 0.0, 0.0),
    "kk": (5.0, 0.0, 0.0, 0.0),
    "RR": (3.5, 1.8, 0.0, 0.0),
    "aa": (8.0, 0.0, 0.0, 0.0),
    "E": (6.5, -3.0, 0.0, 0.0),
    "ih": (4.0, -2.5, 0.0, 0.0),
    "oh": (7.0, 3.5, 0.0, 0.0),
    "ou": (4.0, 4.0, 0.0, 0.0),
}
SCALES = (1.2, 1.0, 0.05, 0.1)  # one unit of distance per feature: mm, mm, weight, weight
# Lips together are a closure whatever else the mouth does (spread, rounded): PP takes all
# the weight below SHUT_MM of gap and none above OPEN_MM, linearly between, so the lip-sync
# metric's closure (gap <= 2 mm) is where PP becomes the strongest viseme.
SHUT_MM = 1.5
OPEN_MM = 2.5
# ... unless the lower lip is tucked under the upper teeth: then the lips meet the teeth, FF.
# The share of a closed mouth that is FF rises from none at TUCK_FROM of mouthRollLower to
# all of it at TUCK_FULL (the neural model rolls the lip 0.1 at F, 0.01-0.02 at P/B/M).
TUCK_FROM = 0.04
TUCK_FULL = 0.10
REST_GAP_MM = 2.0  # in a pause, lips closer than this are at rest (sil), not a PP
_SIL = OVR15.index("sil")
_PP = OVR15.index("PP")
_FF = OVR15.index("FF")


@cache
def _rest_and_jaw() -> tuple[float, float, float]:
    """(rest gap mm, rest width mm, mm of width the jaw alone takes per mm of gap), read off
    the rig: opening the jaw narrows the mouth a little, which is not rounding."""
    poses = np.zeros((2, len(ARKIT52)), np.float32)
    poses[1, ARKIT_INDEX["jawOpen"]] = 0.3
    gap, width = mouth_signals(poses)
    return float(gap[0]), float(width[0]), float((width[0] - width[1]) / (gap[1] - gap[0]))


def mouth_features(weights: np.ndarray) -> np.ndarray:
    """(T, 52) ARKit-52 weights -> (T, 4) features (the axes of PROTOTYPES): lip gap mm;
    rounding mm (how much narrower than at rest the mouth is, beyond what the open jaw
    narrows it; negative when spread); lower-lip tuck (mouthRollLower); tongue out."""
    w = np.clip(np.asarray(weights, np.float32), 0.0, 1.0)
    gap, width = mouth_signals(w)
    rest_gap, rest_width, jaw_narrowing = _rest_and_jaw()
    rounding = rest_width - width - jaw_narrowing * np.maximum(gap - rest_gap, 0.0)
    return np.stack([gap, rounding, w[:, ARKIT_INDEX["mouthRollLower"]],
                     w[:, ARKIT_INDEX["tongueOut"]]], axis=1).astype(np.float64)


def shape_visemes(weights: np.ndarray, speaking: np.ndarray | None = None) -> np.ndarray:
    """(T, 52) ARKit-52 weights -> (T, 15) OVR-15 weights (sum 1 per frame) from the mouth
    shape. `speaking` (T,) marks frames inside speech; without it a frame speaks when any jaw
    or mouth channel is active. Outside speech, a mouth at rest or closed is sil."""
    w = np.asarray(weights, np.float32)
    features = mouth_features(w)
    names = list(PROTOTYPES)
    centres = np.array([PROTOTYPES[n] for n in names])
    d2 = (((features[:, None, :] - centres[None]) / np.asarray(SCALES)) ** 2).sum(axis=2)
    logits = -0.5 * d2
    logits -= logits.max(axis=1, keepdims=True)
    share = np.exp(logits)
    share /= share.sum(axis=1, keepdims=True)
    closed = np.clip((OPEN_MM - features[:, 0]) / (OPEN_MM - SHUT_MM), 0.0, 1.0)
    out = np.zeros((len(w), len(OVR15)))
    tucked = np.clip((features[:, 2] - TUCK_FROM) / (TUCK_FULL - TUCK_FROM), 0.0, 1.0)
    out[:, _PP] = closed * (1.0 - tucked)
    out[:, _FF] = closed * tucked
    for k, name in enumerate(names):
        out[:, OVR15.index(name)] += share[:, k] * (1.0 - closed)
    if speaking is None:
        speaking = mouth_active(w)
    pause = ~np.asarray(speaking, bool)
    # in a pause the lips together are the mouth at rest; an open mouth (a breath, a laugh)
    # keeps the visemes of its shape
    rest = pause & (features[:, 0] < REST_GAP_MM)
    out[rest] = 0.0
    out[rest, _SIL] = 1.0
    out[pause, _SIL] += out[pause, _PP]
    out[pause, _PP] = 0.0
    return out.astype(np.float32)


ACTIVE = 0.05  # a jaw/mouth channel above this means the mouth is doing something
_MOUTH = np.array([i for i, n in enumerate(ARKIT52) if n.startswith(("jaw", "mouth"))])


def mouth_active(weights: np.ndarray) -> np.ndarray:
    """(T,) whether any jaw or mouth channel is above ACTIVE."""
    return np.asarray(weights)[:, _MOUTH].max(axis=1) > ACTIVE


def speaking_frames(phones: list, times: np.ndarray, silence: str = "sil") -> np.ndarray:
    """(T,) True where a frame time falls inside a phone that is not silence. `phones` are
    Phone objects or [label, start, end] rows (as clip.meta["phones"])."""
    out = np.zeros(len(times), bool)
    for p in phones:
        label, start, end = (p.label, p.start, p.end) if hasattr(p, "label") else p[:3]
        if str(label).lower() == silence:
            continue
        out[(times >= float(start) - 1e-9) & (times < float(end) - 1e-9)] = True
    return out
