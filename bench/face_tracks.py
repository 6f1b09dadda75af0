"""Where the GRID s1 video and its FaceMesh tracks live, and how they are read: shared by
bench/render_quality.py and training/face/ (training may import bench, never the reverse).
Imports only numpy and the standard library at the top, so .venv-track can use it too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .results import REPO

LANDMARKS = REPO / "build" / "face" / "grid-s1-landmarks.npz"
CLIPS = REPO.parent / "shared" / "data" / "video" / "grid-s1" / "clips"
CLIP_FRAMES = 75  # GRID clips: 3 s at 25 fps
MESH_POINTS = 468


def load_landmarks(path: Path = LANDMARKS) -> tuple[list[str], np.ndarray]:
    """(ids, landmarks (N, CLIP_FRAMES, 468, 2) float32 pixels, NaN where no face)."""
    with np.load(path) as z:
        return [str(i) for i in z["ids"]], z["landmarks"]


def iter_frames(source: Path) -> Iterator[np.ndarray]:
    """RGB uint8 frames of an .mp4 (decoded by imageio-ffmpeg's ffmpeg) or an .npy stack."""
    if source.suffix == ".npy":
        yield from np.load(source)
        return
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(source), pix_fmt="rgb24")
    w, h = next(reader)["size"]
    for raw in reader:
        yield np.frombuffer(raw, dtype=np.uint8).reshape(h, w, 3)


def read_video(path: Path) -> np.ndarray:
    """(T, H, W, 3) uint8 RGB frames of a video or frame stack, all at once."""
    return np.stack(list(iter_frames(path)))
