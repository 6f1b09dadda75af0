"""The template image of a target mouth pose (issue 17, seed S0): the lips drawn as soft lines
in the mouth crop's canonical frame, which the generator turns into the person's mouth.

Why only these 9 points: they are the ones voxrig's ICT 68 keypoints and FaceMesh both have
(crops.ICT_TO_MESH), so the same drawing comes from the person's tracked lips (training, the
upper bound) and from a voxrig clip mapped onto the person (rendering)."""

from __future__ import annotations

import numpy as np

from training.face.crops import MOUTH_BOX, MOUTH_SIZE

OUTER_LIP = (61, 0, 291, 17)  # FaceMesh: corners and midlines, drawn as a closed loop
INNER_LIP = (78, 13, 308, 14)
CHIN = 152
MESH_POINTS = OUTER_LIP + INNER_LIP + (CHIN,)
LINE_SIGMA = 1.5  # crop pixels: the drawn lines' Gaussian width
CHANNELS = 3  # outer loop, inner loop, chin


def _loop_distance(grid: np.ndarray, loop: np.ndarray) -> np.ndarray:
    """Distance of every grid point (H, W complex) to a closed polyline (K complex)."""
    best = np.full(grid.shape, np.inf)
    for p0, p1 in zip(loop, np.roll(loop, -1), strict=True):
        step = p1 - p0
        length = max(abs(step) ** 2, 1e-9)
        along = np.clip(((grid - p0) * np.conj(step)).real / length, 0, 1)
        best = np.minimum(best, np.abs(grid - (p0 + along * step)))
    return best


def mouth_map(points: np.ndarray) -> np.ndarray:
    """(CHANNELS, h, w) float32 in [0, 1] of one frame's mouth points, given as complex
    canvas coordinates in the order OUTER_LIP + INNER_LIP + (CHIN,); zeros when not finite."""
    w, h = MOUTH_SIZE
    x0, y0, x1, y1 = MOUTH_BOX
    out = np.zeros((CHANNELS, h, w), dtype=np.float32)
    if not np.isfinite(points).all():
        return out
    # crop pixel (i, j) samples canvas (x0 + j * sx, y0 + i * sy), as crops._box_grid does
    local = (points.real - x0) * w / (x1 - x0) + 1j * (points.imag - y0) * h / (y1 - y0)
    grid = np.arange(w)[None, :] + 1j * np.arange(h)[:, None]
    n = len(OUTER_LIP)
    distances = (_loop_distance(grid, local[:n]), _loop_distance(grid, local[n:2 * n]),
                 np.abs(grid - local[-1]))
    for c, d in enumerate(distances):
        out[c] = np.exp(-(d ** 2) / (2 * LINE_SIGMA ** 2))
    return out


def tracked_maps(landmarks: np.ndarray, a: np.ndarray, t: np.ndarray) -> np.ndarray:
    """(T, CHANNELS, h, w) maps of a clip's tracked FaceMesh lips (T, 468, 2 pixels), moved
    into the canvas by the clip's per-frame similarity (a, t)."""
    pts = landmarks[:, MESH_POINTS].astype(np.float64)
    canvas = a[:, None] * (pts[..., 0] + 1j * pts[..., 1]) + t[:, None]
    return np.stack([mouth_map(p) for p in canvas])
