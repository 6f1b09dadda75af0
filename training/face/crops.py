"""Per clip, the lower-face crops and the full canonical face the renderer learns from, cut
through the smoothed per-clip similarity to the canonical canvas (core/face_canvas.py has the
geometry, shared with `voxrig render`).

    .venv/bin/python -m training.face.crops   # reads build/face/grid-s1-landmarks.npz

writes build/face/crops/<id>.npz (face (T,128,128,3), mouth (T,96,96,3) uint8 RGB, the
per-frame transform `a` (complex scale-rotation) and `t` (complex shift)) and
build/face/template.npy (the canvas positions of the stable points). Not committed:
regenerated from the tracks."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from bench.face_tracks import CLIPS, LANDMARKS, load_landmarks, read_video
from voxrig.core.face_canvas import (
    FACE_BOX,
    FACE_SIZE,
    MOUTH_BOX,
    MOUTH_SIZE,
    canonical_template,
    crop,
    frame_transforms,
)

CROPS = LANDMARKS.parent / "crops"
TEMPLATE = LANDMARKS.parent / "template.npy"


def write_crops(clips: Path = CLIPS, tracks: Path = LANDMARKS, out: Path = CROPS,
                limit: int | None = None) -> dict:
    """Crops and transforms of every tracked clip into out/<id>.npz."""
    ids, landmarks = load_landmarks(tracks)
    template = canonical_template(landmarks)
    out.mkdir(parents=True, exist_ok=True)
    np.save(out.parent / TEMPLATE.name, template)
    written = 0
    for k, clip_id in enumerate(ids[:limit]):
        frames = read_video(clips / f"{clip_id}.mp4")[:landmarks.shape[1]]
        lm = landmarks[k, :len(frames)]
        sim = frame_transforms(lm, template)
        steps = list(zip(frames, sim.a, sim.t, strict=True))
        face = np.stack([crop(f, a, t, FACE_BOX, FACE_SIZE) for f, a, t in steps])
        mouth = np.stack([crop(f, a, t, MOUTH_BOX, MOUTH_SIZE) for f, a, t in steps])
        np.savez(out / f"{clip_id}.npz", face=face, mouth=mouth, a=sim.a, t=sim.t)
        written += 1
    return {"clips": written, "path": str(out)}


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
