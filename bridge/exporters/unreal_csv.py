"""Unreal Engine curve table CSV: the first row holds the key times (its first cell, `---`,
is ignored by the importer, as in Unreal's own CSV export), then one row per channel: the
row name (the curve name) followed by its value at each time. Import it with "Import As:
Curve Table" and Linear interpolation (docs/formats.md)."""

from __future__ import annotations

import io

import numpy as np

from voxrig.core.clip import Clip

from .options import ExportOptions


def write(clip: Clip, options: ExportOptions) -> bytes:
    out = io.StringIO()
    out.write(",".join(["---", *(f"{t:.6f}" for t in clip.times)]) + "\n")
    for j, name in enumerate(clip.channels):
        values = np.round(clip.weights[:, j].astype(np.float64), 5)
        out.write(",".join([name, *(f"{v:.5f}" for v in values)]) + "\n")
    return out.getvalue().encode("utf-8")


def looks_like(head: bytes) -> bool:
    return head.startswith(b"---,0.000000,")
