"""OVR-15 viseme weights per frame: `time,sil,PP,FF,...,ou`, one row per frame, in the
Meta/Oculus order (VRChat's Viseme parameter is the index of a column minus one)."""

from __future__ import annotations

import io

import numpy as np

from voxrig.core.clip import Clip
from voxrig.core.errors import VoxrigError

from .options import ExportOptions


def write(clip: Clip, options: ExportOptions) -> bytes:
    if clip.visemes is None:
        raise VoxrigError("this clip has no visemes: bake with --visemes "
                          "(e.g. voxrig bake line.wav --visemes -o line.visemes.csv)")
    table = np.hstack([clip.times[:, None], clip.visemes.astype(np.float64)])
    out = io.StringIO()
    out.write(",".join(["time", *clip.viseme_names]) + "\n")
    np.savetxt(out, table, fmt="%.5f", delimiter=",")
    return out.getvalue().encode("utf-8")


def looks_like(head: bytes) -> bool:
    return head.startswith(b"time,sil,PP,FF,")
