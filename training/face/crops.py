"""Per clip, a smoothed similarity transform from the tracked face to one canonical face
frame; the lower-face crops and the full canonical face the renderer learns from; paste-back
of a generated crop into the real frame; and the mapping of voxrig's 68 ICT keypoints onto
this person (a similarity per video), so a voxrig clip can drive the renderer.

Why a similarity from eye corners and nose bridge: those points do not move when the mouth
does, so the canonical frame holds the head still and the crop only sees the mouth move.
The transform is smoothed over the clip because FaceMesh jitters by a pixel frame to frame.

    .venv/bin/python -m training.face.crops   # reads build/face/grid-s1-landmarks.npz

writes build/face/crops/<id>.npz (face (T,128,128,3), mouth (T,96,96,3) uint8 RGB, the
per-frame transform `a` (complex scale-rotation) and `t` (complex shift), and the ICT
mapping) and build/face/template.npy. Not committed: regenerated from the tracks."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.face_tracks import CLIPS, LANDMARKS, load_landmarks, read_video

CROPS = LANDMARKS.parent / "crops"
TEMPLATE = LANDMARKS.parent / "template.npy"
# The canonical canvas is 192x192 (units: canvas pixels); outer eye corners sit here.
CANVAS = 192
EYE_LEFT_XY, EYE_RIGHT_XY = (64.0, 72.0), (128.0, 72.0)  # image-left, image-right
# Stable FaceMesh points: outer/inner eye corners, nose bridge (168) and top of nose (6).
STABLE = (33, 133, 362, 263, 168, 6)
SMOOTH_FRAMES = 5  # centred moving average of the transform
# Boxes in canvas coordinates (x0, y0, x1, y1) and the size they are sampled to.
FACE_BOX, FACE_SIZE = (0.0, 0.0, 192.0, 192.0), (128, 128)
MOUTH_BOX, MOUTH_SIZE = (48.0, 96.0, 144.0, 192.0), (96, 96)
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
UPPER_LIP, LOWER_LIP = 13, 14


@dataclass(frozen=True)
class Similarity:
    """Per-frame map frame -> canvas, q = a * p + t on complex pixel coordinates (x + iy)."""

    a: np.ndarray  # (T,) complex: scale and rotation
    t: np.ndarray  # (T,) complex: shift


def as_complex(points: np.ndarray) -> np.ndarray:
    """(..., 2) x/y -> (...,) complex x + iy: a 2-D similarity is then one multiply-add."""
    return points[..., 0] + 1j * points[..., 1]


def fit_similarity(src: np.ndarray, dst: np.ndarray) -> tuple[complex, complex]:
    """Least-squares a, t with dst ~ a * src + t (complex points, no reflection)."""
    ps, qs = src - src.mean(), dst - dst.mean()
    a = complex(np.sum(np.conj(ps) * qs) / np.sum(np.abs(ps) ** 2))
    return a, complex(dst.mean() - a * src.mean())


def canonical_template(landmarks: np.ndarray) -> np.ndarray:
    """(len(STABLE),) complex canvas positions of the stable points: their median over every
    tracked frame after mapping its outer eye corners onto EYE_LEFT_XY/EYE_RIGHT_XY."""
    eyes = np.array([complex(*EYE_LEFT_XY), complex(*EYE_RIGHT_XY)])
    pts = as_complex(landmarks[..., STABLE, :].reshape(-1, len(STABLE), 2))
    pts = pts[np.isfinite(pts).all(axis=1)]
    left, right = pts[:, 0], pts[:, STABLE.index(263)]
    a = (eyes[1] - eyes[0]) / (right - left)
    mapped = a[:, None] * (pts - left[:, None]) + eyes[0]
    return np.median(mapped.real, axis=0) + 1j * np.median(mapped.imag, axis=0)


def clip_transform(landmarks: np.ndarray, template: np.ndarray) -> Similarity:
    """The (T,) frame->canvas similarity of one clip: fitted per tracked frame on the stable
    points, frames without a face filled from their neighbours, then smoothed."""
    frames = landmarks.shape[0]
    a = np.full(frames, np.nan, dtype=complex)
    t = np.full(frames, np.nan, dtype=complex)
    for k in range(frames):
        src = as_complex(landmarks[k, STABLE].astype(np.float64))
        if np.isfinite(src).all():
            a[k], t[k] = fit_similarity(src, template)
    found = np.isfinite(a)
    if not found.any():
        raise ValueError("no tracked face in the clip")
    idx = np.arange(frames)
    params = [np.interp(idx, idx[found], v[found]) for v in (a.real, a.imag, t.real, t.imag)]
    kernel = np.ones(SMOOTH_FRAMES) / SMOOTH_FRAMES
    pad = SMOOTH_FRAMES // 2
    smooth = [np.convolve(np.pad(v, pad, mode="edge"), kernel, mode="valid") for v in params]
    return Similarity(smooth[0] + 1j * smooth[1], smooth[2] + 1j * smooth[3])


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


def _box_grid(box: tuple[float, float, float, float], size: tuple[int, int]) -> np.ndarray:
    """(h, w) complex canvas coordinates of a box's output pixels."""
    x0, y0, x1, y1 = box
    w, h = size
    xs = x0 + np.arange(w) * (x1 - x0) / w
    ys = y0 + np.arange(h) * (y1 - y0) / h
    return xs[None, :] + 1j * ys[:, None]


def crop(frame: np.ndarray, a: complex, t: complex,
         box: tuple[float, float, float, float], size: tuple[int, int]) -> np.ndarray:
    """The canvas box of one frame, sampled to size (w, h), uint8 RGB."""
    p = (_box_grid(box, size) - t) / a
    return np.clip(np.rint(bilinear(frame, p.real, p.imag)), 0, 255).astype(np.uint8)


def paste(frame: np.ndarray, patch: np.ndarray, a: complex, t: complex,
          box: tuple[float, float, float, float], feather: float = 0.0) -> np.ndarray:
    """A copy of the frame with a (generated) crop of the canvas box put back in place: every
    frame pixel whose canvas position falls inside the box takes the crop's value there.
    feather > 0 (crop pixels) blends linearly from the frame at the box's edge to the crop
    that far inside, so a generated crop leaves no seam."""
    x0, y0, x1, y1 = box
    ph, pw = patch.shape[:2]
    corners = (np.array([x0 + 1j * y0, x1 + 1j * y0, x0 + 1j * y1, x1 + 1j * y1]) - t) / a
    h, w = frame.shape[:2]
    cx0 = max(0, int(np.floor(corners.real.min())))
    cx1 = min(w, int(np.ceil(corners.real.max())) + 1)
    cy0 = max(0, int(np.floor(corners.imag.min())))
    cy1 = min(h, int(np.ceil(corners.imag.max())) + 1)
    px = np.arange(cx0, cx1)[None, :] + 1j * np.arange(cy0, cy1)[:, None]
    q = a * px + t
    u = (q.real - x0) * pw / (x1 - x0)
    v = (q.imag - y0) * ph / (y1 - y0)
    inside = (u >= 0) & (u <= pw - 1) & (v >= 0) & (v <= ph - 1)
    out = frame.copy()
    values = bilinear(patch, u, v)
    region = out[cy0:cy1, cx0:cx1]
    if feather > 0:
        edge = np.minimum(np.minimum(u, pw - 1 - u), np.minimum(v, ph - 1 - v))
        weight = np.clip(edge / feather, 0, 1)[..., None]
        values = weight * values + (1 - weight) * region
    region[inside] = np.clip(np.rint(values), 0, 255).astype(np.uint8)[inside]
    return out


def neutral_frames(landmarks: np.ndarray, share: float = 0.2) -> np.ndarray:
    """Indices of a clip's most closed-mouth tracked frames (the smallest inner-lip gaps):
    where the person's face is closest to the rig's neutral."""
    gap = np.abs(landmarks[:, UPPER_LIP, 1] - landmarks[:, LOWER_LIP, 1])
    tracked = np.flatnonzero(np.isfinite(gap))
    keep = max(1, int(round(share * tracked.size)))
    return tracked[np.argsort(gap[tracked])[:keep]]


def fit_ict_mapping(ict_neutral: np.ndarray,
                    landmarks: np.ndarray) -> tuple[complex, complex, float]:
    """Similarity from the rig's neutral 68 keypoints (cm, +Y up; x and -y used, a frontal
    orthographic view) to this video's closed-mouth FaceMesh points (pixels): a, t and the
    rms residual in pixels over the ICT_TO_MESH correspondence."""
    ict_ids, mesh_ids = list(ICT_TO_MESH), list(ICT_TO_MESH.values())
    src = ict_neutral[ict_ids, 0] - 1j * ict_neutral[ict_ids, 1]
    dst = as_complex(np.median(landmarks[neutral_frames(landmarks)][:, mesh_ids], axis=0))
    a, t = fit_similarity(src.astype(complex), dst.astype(complex))
    rms = float(np.sqrt(np.mean(np.abs(a * src + t - dst) ** 2)))
    return a, t, rms


def write_crops(clips: Path = CLIPS, tracks: Path = LANDMARKS, out: Path = CROPS,
                limit: int | None = None) -> dict:
    """Crops, transforms and ICT mapping of every tracked clip into out/<id>.npz."""
    from voxrig.core.rig import load_rig

    ids, landmarks = load_landmarks(tracks)
    template = canonical_template(landmarks)
    out.mkdir(parents=True, exist_ok=True)
    np.save(out.parent / TEMPLATE.name, template)
    ict = load_rig().neutral_landmarks.astype(np.float64)
    residuals = []
    for k, clip_id in enumerate(ids[:limit]):
        frames = read_video(clips / f"{clip_id}.mp4")[:landmarks.shape[1]]
        lm = landmarks[k, :len(frames)]
        sim = clip_transform(lm, template)
        steps = list(zip(frames, sim.a, sim.t, strict=True))
        face = np.stack([crop(f, a, t, FACE_BOX, FACE_SIZE) for f, a, t in steps])
        mouth = np.stack([crop(f, a, t, MOUTH_BOX, MOUTH_SIZE) for f, a, t in steps])
        ict_a, ict_t, rms = fit_ict_mapping(ict, lm)
        residuals.append(rms)
        np.savez(out / f"{clip_id}.npz", face=face, mouth=mouth, a=sim.a, t=sim.t,
                 ict_a=ict_a, ict_t=ict_t, ict_rms_px=rms)
    return {"clips": len(residuals), "ict_rms_px_median": round(float(np.median(residuals)), 2),
            "ict_rms_px_max": round(float(np.max(residuals)), 2), "path": str(out)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=Path, default=CLIPS)
    parser.add_argument("--tracks", type=Path, default=LANDMARKS)
    parser.add_argument("-o", "--output", type=Path, default=CROPS)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    print(write_crops(args.clips, args.tracks, args.output, args.limit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
