"""Clip -> the nine Rhubarb / Preston Blair mouth shapes (A-H, X) as timed cues, for 2D
pipelines that swap mouth drawings instead of blending shapes.

The shapes keep their standard meanings, because 2D animators draw to them:

    A  closed mouth (M, B, P)              E  slightly rounded (AO as in "off", ER)
    B  slightly open, clenched teeth       F  puckered (UW, OW, W)
       (most consonants, EE as in "bee")   G  upper teeth on the lower lip (F, V)
    C  open (EH as in "men", AE as in      H  tongue raised behind the teeth (long L)
       "bat")                              X  idle: the mouth at rest (pauses)
    D  wide open (AA as in "father")

Each frame gets a shape from what the mouth *does* in the clip, measured on the ICT rig
(lip gap and mouth width in mm, `voxrig.core.rig.mouth_signals`), and from the sound class
of the frame: the phone under it (clip.meta["phones"]) when the clip has phones, else the
strongest OVR viseme. The class says which kind of shape a frame is (closure, F/V, L,
rounded, vowel, consonant, silence); the gap says how open it is drawn:

    silence (sil)            -> X while the lips are nearly shut, else by gap as a vowel
    P B M / PP               -> A
    F V / FF                 -> G
    L                        -> H          (OVR has no L viseme: only with phones)
    UW UH W / ou             -> F, or E if the mouth is open >= OPEN_MM
    AO OW OY ER / oh, RR     -> E
    AA AE AH AW AY / aa      -> D if the gap >= WIDE_MM, else C
    EH EY / E                -> C if the gap >= OPEN_MM, else B
    other phones / visemes   -> B, or C if the gap >= WIDE_MM (a consonant in an open vowel)

A clip whose phones say only speech or pause (the neural engine without a transcript) takes
each speaking frame's class from its mouth shape (`shape_visemes`); frames of no class there
are D / C / B by gap, C from SHAPED_OPEN_MM.
With neither phones nor visemes the signals alone decide: narrowed width -> F (E when
open); lips shut and no mouth channel active -> X; lips shut with the mouth active -> A;
then D / C / B by gap. Runs of equal frames become cues; a cue shorter than
`min_duration` is absorbed into its longer neighbour, except closures (A) and F/V (G),
which are short by nature and are what viewers notice when missing. The last cue is X.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .clip import Clip
from .curve_resample import resample_curves
from .names import ARKIT52, OVR15, SILENCE
from .rig import mouth_signals
from .shape_visemes import mouth_active, shape_visemes, speaking_frames

OPEN_MM = 4.0  # lip gap from which a mouth reads as open (C rather than B)
WIDE_MM = 8.0  # lip gap from which an open vowel reads as wide open (D)
SHUT_MM = 1.5  # lip gap below which the lips read as together (neutral is 0.76)
CUE_RATE = 100.0  # Hz at which cues are decided: Rhubarb's centiseconds
ROUND_MM = 3.0  # narrowing of the mouth width from neutral that reads as rounded
# Without a sound class (the neural engine without phones), C — drawn about 6 mm open — only
# where the lips are that far apart: from OPEN_MM, lip consonants between vowels were drawn
# open (chosen on GRID s1's training split: event of the drawn cues 0.962 -> 0.971).
SHAPED_OPEN_MM = 6.0

_CLASS_OF_PHONE: dict[str, str] = {
    SILENCE: "rest",
    **{p: "closed" for p in ("P", "B", "M")},
    **{p: "teeth_lip" for p in ("F", "V")},
    "L": "tongue",
    **{p: "pucker" for p in ("UW", "UH", "W")},
    **{p: "round" for p in ("AO", "OW", "OY", "ER")},
    **{p: "wide" for p in ("AA", "AE", "AH", "AW", "AY")},
    **{p: "open" for p in ("EH", "EY")},
}
_CLASS_OF_VISEME: dict[str, str] = {
    "sil": "rest", "PP": "closed", "FF": "teeth_lip", "ou": "pucker", "oh": "round",
    "RR": "round", "aa": "wide", "E": "open",
}  # fmt: skip
# Without phones, the shape-derived viseme of a frame gives its class (see shape_visemes);
# the visemes not listed (aa, E, ih, DD, kk, TH) are drawn by the lip gap alone.
_CLASS_OF_SHAPE_VISEME: dict[str, str] = {
    "sil": "rest", "PP": "closed", "FF": "teeth_lip", "ou": "pucker", "oh": "round",
    "RR": "round",
}  # fmt: skip
LOUDNESS_SOURCE = "loudness"  # phone_source of a timeline that knows only speech and pauses


@dataclass(frozen=True)
class MouthCue:
    start: float  # seconds
    end: float
    shape: str  # one of A-H, X


def frame_shapes(clip: Clip) -> list[str]:
    """One mouth shape per frame of the clip."""
    gap, width = _signals(clip)
    neutral_width = float(mouth_signals(np.zeros((1, len(ARKIT52)), np.float32))[1][0])
    classes = _frame_classes(clip)
    active = _activity(clip)
    shapes = []
    for i in range(clip.frame_count):
        rounded = width[i] <= neutral_width - ROUND_MM
        shapes.append(_shape(classes[i], float(gap[i]), bool(rounded), bool(active[i])))
    return shapes


def mouth_cues(clip: Clip, min_duration: float = 0.05) -> list[MouthCue]:
    """Contiguous cues from 0 to clip.duration; the last one is X (the mouth at rest).
    Shapes are read every 1 / CUE_RATE s from the curves interpolated between frames, so a
    cue changes where the mouth crosses into the next shape, not at the next whole frame."""
    clip = _on_cue_grid(clip)
    shapes = frame_shapes(clip)
    shapes[-1] = "X"
    bounds = [i / clip.fps for i in range(clip.frame_count)] + [float(clip.duration)]
    if bounds[-1] - bounds[-2] < 1e-6 and len(shapes) > 1:
        shapes[-2] = "X"  # the last frame sits on the end: its cue would be empty
    runs: list[list] = []  # [shape, first frame, end frame (exclusive)]
    for i, shape in enumerate(shapes):
        if runs and runs[-1][0] == shape:
            runs[-1][2] = i + 1
        else:
            runs.append([shape, i, i + 1])
    runs = _absorb_short(runs, bounds, min_duration)
    cues = [MouthCue(bounds[a], bounds[b], s) for s, a, b in runs]
    return [c for c in cues if c.end - c.start > 1e-9]


def _on_cue_grid(clip: Clip) -> Clip:
    """The clip resampled linearly to CUE_RATE (as is if it is already at least as fine)."""
    if clip.fps >= CUE_RATE or clip.frame_count < 2:
        return clip
    duration = float(clip.duration)
    weights = np.clip(resample_curves(clip.weights, clip.fps, CUE_RATE, duration), 0.0, 1.0)
    visemes = (None if clip.visemes is None
               else resample_curves(clip.visemes, clip.fps, CUE_RATE, duration))
    return Clip(fps=CUE_RATE, weights=weights, channels=clip.channels, duration=duration,
                visemes=visemes, viseme_names=clip.viseme_names, meta=clip.meta)


def _absorb_short(runs: list[list], bounds: list[float], min_duration: float) -> list[list]:
    """One pass: a short run joins the longer of its neighbours (the one before as it stands
    after earlier merges), then equal neighbours merge. A closure, F/V or rest neighbour
    (the shapes kept however short) never swallows it: an opening between two closures
    stays an opening."""
    keep = {"A", "G", "X"}
    out: list[list] = []
    runs = [list(r) for r in runs]

    def length(run: list) -> float:
        return bounds[run[2]] - bounds[run[1]]

    for k, run in enumerate(runs):
        shape, a, b = run
        if shape not in keep and bounds[b] - bounds[a] < min_duration and len(runs) > 1:
            before = out[-1] if out and out[-1][0] not in keep else None
            after = runs[k + 1] if k + 1 < len(runs) and runs[k + 1][0] not in keep else None
            if before is not None and (after is None or length(before) >= length(after)):
                before[2] = b
                continue
            if after is not None:
                after[1] = a
                continue
        if out and out[-1][0] == shape:
            out[-1][2] = b
        else:
            out.append(run)
    return out


def _shape(cls: str | None, gap: float, rounded: bool, active: bool) -> str:
    if cls is None:
        if rounded:
            cls = "pucker"
        elif gap < SHUT_MM:
            return "A" if active else "X"
        else:
            cls = "wide" if gap >= WIDE_MM else "other"
    if cls == "rest":
        if gap < OPEN_MM:
            return "X"
        cls = "wide"
    if cls == "closed":
        return "A"
    if cls == "teeth_lip":
        return "G"
    if cls == "tongue":
        return "H"
    if cls == "pucker":
        return "E" if gap >= OPEN_MM + 2.0 else "F"
    if cls == "round":
        return "E"
    if cls == "wide":
        return "D" if gap >= WIDE_MM else "C"
    if cls == "open":
        return "C" if gap >= OPEN_MM else "B"
    if cls == "by_gap":
        return "D" if gap >= WIDE_MM else "C" if gap >= SHAPED_OPEN_MM else "B"
    return "C" if gap >= WIDE_MM else "B"


def _arkit(clip: Clip) -> np.ndarray:
    arkit = np.zeros((clip.frame_count, len(ARKIT52)), np.float32)
    for j, name in enumerate(clip.channels):
        if name in ARKIT52:
            arkit[:, ARKIT52.index(name)] = clip.weights[:, j]
    return arkit


def _signals(clip: Clip) -> tuple[np.ndarray, np.ndarray]:
    return mouth_signals(_arkit(clip))


def _activity(clip: Clip) -> np.ndarray:
    return mouth_active(_arkit(clip))


def _frame_classes(clip: Clip) -> list[str | None]:
    meta = clip.meta if isinstance(clip.meta, dict) else {}
    phones = meta.get("phones")
    if phones and meta.get("phone_source") == LOUDNESS_SOURCE:
        # Speech and pauses from loudness alone: the speech label says nothing about the
        # sounds, so the mouth's own shape gives the class of every speaking frame.
        speaking = speaking_frames(phones, clip.times)
        shaped = shape_visemes(_arkit(clip), speaking).argmax(axis=1)
        return [_CLASS_OF_SHAPE_VISEME.get(OVR15[k], "by_gap") if talking else "rest"
                for k, talking in zip(shaped, speaking, strict=True)]
    if phones:
        starts = np.array([float(p[1]) for p in phones])
        classes = ["rest" if str(p[0]).lower() == SILENCE
                   else _CLASS_OF_PHONE.get(str(p[0]).upper(), "other") for p in phones]
        # the phone a frame falls in: the last one starting at or before it
        k = np.searchsorted(starts, clip.times + 1e-9, side="right") - 1
        ends = np.array([float(p[2]) for p in phones])
        return [classes[j] if j >= 0 and t < ends[j] - 1e-9 else "rest"
                for j, t in zip(k, clip.times, strict=True)]
    if clip.visemes is not None:
        strongest = clip.visemes.argmax(axis=1)
        return [_CLASS_OF_VISEME.get(clip.viseme_names[k], "other") for k in strongest]
    return [None] * clip.frame_count
