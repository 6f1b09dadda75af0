"""Lip templates (core/face_render.py draws them) of a clip's *tracked* FaceMesh lips: the
real-lips upper bound of training/face/render_eval.py. The shipped generator is trained on
templates from voxrig's own clips instead (training/face/driven.py), as render feeds it."""

from __future__ import annotations

import numpy as np

from voxrig.core.face_render import MESH_MOUTH, mouth_template


def tracked_maps(landmarks: np.ndarray, a: np.ndarray, t: np.ndarray) -> np.ndarray:
    """(T, 3, h, w) templates of a clip's tracked FaceMesh lips (T, 468, 2 pixels), moved
    into the canvas by the clip's per-frame similarity (a, t)."""
    pts = landmarks[:, MESH_MOUTH].astype(np.float64)
    canvas = a[:, None] * (pts[..., 0] + 1j * pts[..., 1]) + t[:, None]
    return np.stack([mouth_template(p) for p in canvas])
