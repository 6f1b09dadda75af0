"""The phones a rendered frame is drawn with (issue 17, seed S3): with a transcript, the
aligned phone at the frame and at its neighbours, one-hot, modulate the generator's mouth
features after the sound has (core/face_train.MouthUNet's FiLM). Without a transcript the
rows are zeros, which a face trained with phones draws from the sound alone (it learnt with
half its examples so).

Only aligned phones count: recognised ones are wrong too often to steer a mouth (the neural
engine does not take them either, core/engines/neural.py)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .clip import Clip
from .names import ARPABET, SILENCE

PHONE_CLASSES = (SILENCE, *sorted(ARPABET))
PHONE_OFFSETS = (-1, 0, 1)  # video frames: the phone before, at and after the frame
PHONE_DIMS = len(PHONE_CLASSES) * len(PHONE_OFFSETS)
_INDEX = {p: k for k, p in enumerate(PHONE_CLASSES)}

# (label, start s, end s), as a clip's meta keeps them
TimedPhone = tuple[str, float, float]


def frame_phones(phones: Sequence[TimedPhone] | None, count: int, fps: float) -> np.ndarray:
    """(count, PHONE_DIMS) float32: for each video frame at `fps`, the one-hot class of the
    phone at each PHONE_OFFSETS neighbour's time (a label outside ARPABET counts as silence;
    before the first and after the last phone, nothing); zeros without phones."""
    out = np.zeros((count, PHONE_DIMS), np.float32)
    if not phones or count == 0:
        return out
    starts = np.array([p[1] for p in phones])
    ends = np.array([p[2] for p in phones])
    classes = np.array([_INDEX.get(p[0], 0) for p in phones])
    width = len(PHONE_CLASSES)
    for slot, offset in enumerate(PHONE_OFFSETS):
        times = (np.arange(count) + offset) / fps
        k = np.searchsorted(starts, times, side="right") - 1
        inside = (k >= 0) & (times < ends[np.maximum(k, 0)])
        rows = np.flatnonzero(inside)
        out[rows, slot * width + classes[k[inside]]] = 1.0
    return out


def aligned_phones(clip: Clip) -> list[TimedPhone] | None:
    """The clip's phones when they were aligned to a transcript, else None."""
    if "forced" not in str(clip.meta.get("phone_source", "")).split("+"):
        return None
    return [(str(p[0]), float(p[1]), float(p[2])) for p in clip.meta.get("phones", [])]
