"""The face renderer's geometry (issue 17): the canonical 192x192 canvas a person's face is
held still in, the per-frame similarity that takes a video frame there, the crops cut from it,
the feathered paste-back of a generated crop, and the one similarity that puts voxrig's 68 ICT
keypoints onto the person's canvas face.

Why a similarity from eye corners and nose bridge: those points do not move when the mouth
does, so the canvas holds the head still and the mouth crop only sees the mouth move. The
transform is smoothed over time because a face tracker jitters by a pixel frame to frame.

Points are complex numbers x + iy (pixels, +y down): a 2-D similarity is then one
multiply-add, q = a * p + t."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CANVAS = 192
EYE_LEFT_XY, EYE_RIGHT_XY = (64.0, 72.0), (128.0, 72.0)  # outer eye corners, image-left/right
# Boxes in canvas coordinates (x0, y0, x1, y1) and the size (w, h) they are sampled to.
Box = tuple[float, float, float, float]
FACE_BOX, FACE_SIZE = (0.0, 0.0, 192.0, 192.0), (128, 128)
MOUTH_BOX, MOUTH_SIZE = (48.0, 96.0, 144.0, 192.0), (96, 96)
FEATHER = 8.0  # crop pixels of blend at a pasted crop's edge: no seam shows
MOUTH_CORNERS = (61, 291)  # FaceMesh's mouth corners
MOUTH_MARGIN = 8.0  # crop pixels drawn whole beyond where the mouth corners reach
SMOOTH_FRAMES = 5  # centred moving average of the per-frame transform
# FaceMesh (468-point) indices of the stable points: outer/inner eye corners, nose bridge
# (168) and top of the nose (6).
STABLE = (33, 133, 362, 263, 168, 6)
# 68-point (Multi-PIE, as core/rig.py's keypoints) -> FaceMesh index: points that mean the
# same place on both models and hold still on a neutral face (eye corners, inner brows,
# nose bridge/tip/base/wings, lip corners and midlines, chin).
ICT_TO_MESH = {
    36: 33, 39: 133, 42: 362, 45: 263,  # eye corners
    21: 107, 22: 336,  # inner brow ends
    27: 168, 30: 1, 33: 2, 31: 98, 35: 327,  # nose: bridge, tip, base, wings
    48: 61, 54: 291, 51: 0, 57: 17,  # outer lip corners, top and bottom midlines
    60: 78, 64: 308, 62: 13, 66: 14,  # inner lip corners and midlines
    8: 152,  # chin
}
UPPER_LIP, LOWER_LIP = 13, 14  # FaceMesh inner-lip midlines
NEUTRAL_SHARE = 0.2  # the most closed-mouth share of frames stands for the neutral face


@dataclass(frozen=True)
class Similarity:
    """Per-frame map frame -> canvas, q = a * p + t on complex pixel coordinates."""

    a: np.ndarray  # (T,) complex: scale and rotation
    t: np.ndarray  # (T,) complex: shift


def as_complex(points: np.ndarray) -> np.ndarray:
    """(..., 2) x/y -> (...,) complex x + iy."""
    return points[..., 0] + 1j * points[..., 1]


def fit_similarity(src: np.ndarray, dst: np.ndarray) -> tuple[complex, complex]:
    """Least-squares a, t with dst ~ a * src + t (complex points, no reflection)."""
    ps, qs = src - src.mean(), dst - dst.mean()
    a = complex(np.sum(np.conj(ps) * qs) / np.sum(np.abs(ps) ** 2))
    return a, complex(dst.mean() - a * src.mean())


def canonical_template(landmarks: np.ndarray) -> np.ndarray:
    """(len(STABLE),) complex canvas positions of the stable points: their median over every
    tracked frame (..., 468, 2) after mapping its outer eye corners onto the canvas's."""
    eyes = np.array([complex(*EYE_LEFT_XY), complex(*EYE_RIGHT_XY)])
    pts = as_complex(landmarks[..., STABLE, :].reshape(-1, len(STABLE), 2))
    pts = pts[np.isfinite(pts).all(axis=1)]
    left, right = pts[:, 0], pts[:, STABLE.index(263)]
    a = (eyes[1] - eyes[0]) / (right - left)
    mapped = a[:, None] * (pts - left[:, None]) + eyes[0]
    return np.median(mapped.real, axis=0) + 1j * np.median(mapped.imag, axis=0)


def frame_transforms(landmarks: np.ndarray, template: np.ndarray) -> Similarity:
    """The (T,) frame->canvas similarity of a video tracked as (T, 468, 2) pixels: fitted per
    frame on the stable points, frames without a face filled from their neighbours, then
    smoothed. ValueError when no frame has a face."""
    frames = landmarks.shape[0]
    a = np.full(frames, np.nan, dtype=complex)
    t = np.full(frames, np.nan, dtype=complex)
    for k in range(frames):
        src = as_complex(landmarks[k, STABLE].astype(np.float64))
        if np.isfinite(src).all():
            a[k], t[k] = fit_similarity(src, template)
    found = np.isfinite(a)
    if not found.any():
        raise ValueError("no tracked face in the video")
    idx = np.arange(frames)
    params = [np.interp(idx, idx[found], v[found]) for v in (a.real, a.imag, t.real, t.imag)]
    kernel = np.ones(SMOOTH_FRAMES) / SMOOTH_FRAMES
    pad = SMOOTH_FRAMES // 2
    smooth = [np.convolve(np.pad(v, pad, mode="edge"), kernel, mode="valid") for v in params]
    return Similarity(smooth[0] + 1j * smooth[1], smooth[2] + 1j * smooth[3])


def on_canvas(landmarks: np.ndarray, sim: Similarity) -> np.ndarray:
    """(F, P) complex: the frames of (T, P, 2) tracked pixels (FaceMesh's 468 points, or some
    of them) that have a face, moved onto the canvas by each frame's similarity (the first T
    of `sim`'s)."""
    points = landmarks.astype(np.float64)
    found = np.isfinite(points).all(axis=(1, 2))
    n = len(points)
    return sim.a[:n][found, None] * as_complex(points[found]) + sim.t[:n][found, None]


def bilinear(image: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Sample an (H, W, C) image at float pixel centres, edges clamped; float32 out."""
    h, w = image.shape[:2]
    x = np.clip(x, 0, w - 1)
    y = np.clip(y, 0, h - 1)
    x0 = np.minimum(np.floor(x).astype(np.int64), w - 2)
    y0 = np.minimum(np.floor(y).astype(np.int64), h - 2)
    fx, fy = (x - x0)[..., None], (y - y0)[..., None]
    img = image.astype(np.float32)
    top = img[y0, x0] * (1 - fx) + img[y0, x0 + 1] * fx
    bottom = img[y0 + 1, x0] * (1 - fx) + img[y0 + 1, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


def box_grid(box: Box, size: tuple[int, int]) -> np.ndarray:
    """(h, w) complex canvas coordinates of a box's output pixels."""
    x0, y0, x1, y1 = box
    w, h = size
    xs = x0 + np.arange(w) * (x1 - x0) / w
    ys = y0 + np.arange(h) * (y1 - y0) / h
    return xs[None, :] + 1j * ys[:, None]


def crop(frame: np.ndarray, a: complex, t: complex, box: Box,
         size: tuple[int, int]) -> np.ndarray:
    """The canvas box of one frame, sampled to size (w, h), uint8 RGB."""
    p = (box_grid(box, size) - t) / a
    return np.clip(np.rint(bilinear(frame, p.real, p.imag)), 0, 255).astype(np.uint8)


def paste(frame: np.ndarray, patch: np.ndarray, a: complex, t: complex, box: Box,
          feather: float = 0.0, columns: tuple[float, float] | None = None) -> np.ndarray:
    """A copy of the frame with a (generated) crop of the canvas box put back in place: every
    frame pixel whose canvas position falls inside the box takes the crop's value there.
    feather > 0 (crop pixels) blends linearly from the frame at the box's edge to the crop
    that far inside, so a generated crop leaves no seam. With `columns` (lo, hi), crop pixels
    from feather to width - 1 - feather, only those columns take the crop whole; it blends to
    the frame over `feather` beyond them (mouth_columns: the frame keeps its own cheeks and
    jaw line)."""
    x0, y0, x1, y1 = box
    ph, pw = patch.shape[:2]
    corners = (np.array([x0 + 1j * y0, x1 + 1j * y0, x0 + 1j * y1, x1 + 1j * y1]) - t) / a
    h, w = frame.shape[:2]
    cx0 = max(0, int(np.floor(corners.real.min())))
    cx1 = min(w, int(np.ceil(corners.real.max())) + 1)
    cy0 = max(0, int(np.floor(corners.imag.min())))
    cy1 = min(h, int(np.ceil(corners.imag.max())) + 1)
    out = frame.copy()
    if cx1 <= cx0 or cy1 <= cy0:
        return out  # the box lies outside the frame
    px = np.arange(cx0, cx1)[None, :] + 1j * np.arange(cy0, cy1)[:, None]
    q = a * px + t
    u = (q.real - x0) * pw / (x1 - x0)
    v = (q.imag - y0) * ph / (y1 - y0)
    inside = (u >= 0) & (u <= pw - 1) & (v >= 0) & (v <= ph - 1)
    values = bilinear(patch, u, v)
    region = out[cy0:cy1, cx0:cx1]
    if feather > 0:
        lo, hi = (feather, pw - 1 - feather) if columns is None else columns
        across = np.minimum(u - lo + feather, hi + feather - u)  # 0 at the crop's sides
        edge = np.minimum(across, np.minimum(v, ph - 1 - v))
        weight = np.clip(edge / feather, 0, 1)[..., None]
        values = weight * values + (1 - weight) * region
    region[inside] = np.clip(np.rint(values), 0, 255).astype(np.uint8)[inside]
    return out


def mouth_columns(canvas: np.ndarray) -> tuple[float, float]:
    """The mouth crop's columns (lo, hi) a person's generated mouth is pasted over whole: every
    place their mouth corners reach in tracked footage (FaceMesh points held on the canvas,
    (N, 468) complex; 0.5-99.5 percentiles), MOUTH_MARGIN wider each side. Beyond, the video
    keeps its own cheeks and jaw line: the whole-crop generator draws them from the
    reference's pose, which the canvas holds by the eyes and nose, not the jaw, and they were
    half the error of a drawn crop (docs/RENDER_CARD.md, 2026-12-07, latest)."""
    x = canvas[:, list(MOUTH_CORNERS)].real
    x = (x[np.isfinite(x)] - MOUTH_BOX[0]) * MOUTH_SIZE[0] / (MOUTH_BOX[2] - MOUTH_BOX[0])
    last = MOUTH_SIZE[0] - 1 - FEATHER
    if x.size == 0:
        return FEATHER, last
    lo, hi = np.percentile(x, [0.5, 99.5])
    lo, hi = float(max(FEATHER, lo - MOUTH_MARGIN)), float(min(last, hi + MOUTH_MARGIN))
    return (lo, hi) if lo < hi else (FEATHER, last)  # corners off the crop: draw all of it


def neutral_frames(landmarks: np.ndarray, share: float = NEUTRAL_SHARE) -> np.ndarray:
    """Indices of a tracked video's (T, 468, 2) most closed-mouth frames (the smallest
    inner-lip gaps): where the person's face is closest to the rig's neutral."""
    gap = np.abs(landmarks[:, UPPER_LIP, 1] - landmarks[:, LOWER_LIP, 1])
    tracked = np.flatnonzero(np.isfinite(gap))
    keep = max(1, int(round(share * tracked.size)))
    return tracked[np.argsort(gap[tracked])[:keep]]


def ict_points(ict: np.ndarray) -> np.ndarray:
    """(..., 68) complex image-plane points of ICT keypoints (..., 68, 3) cm, +Y up: a
    frontal orthographic view (x, -y), so a similarity maps them onto a person."""
    return ict[..., 0] - 1j * ict[..., 1]


def fit_ict_to_canvas(ict_neutral: np.ndarray,
                      canvas_landmarks: np.ndarray) -> tuple[complex, complex, float]:
    """Similarity from the rig's neutral 68 keypoints (cm) to a person's closed-mouth canvas
    face (FaceMesh points already moved into the canvas, (T, 468) complex): a, t and the rms
    residual in canvas pixels over the ICT_TO_MESH correspondence."""
    ict_ids, mesh_ids = list(ICT_TO_MESH), list(ICT_TO_MESH.values())
    src = ict_points(ict_neutral.astype(np.float64))[ict_ids]
    xy = np.stack([canvas_landmarks.real, canvas_landmarks.imag], axis=-1)
    closed = canvas_landmarks[neutral_frames(xy)][:, mesh_ids]
    dst = np.median(closed.real, axis=0) + 1j * np.median(closed.imag, axis=0)
    a, t = fit_similarity(src, dst)
    rms = float(np.sqrt(np.mean(np.abs(a * src + t - dst) ** 2)))
    return a, t, rms
