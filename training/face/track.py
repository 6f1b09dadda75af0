"""Track every GRID s1 clip's face with MediaPipe FaceMesh (468 landmarks, x/y in pixels),
once, so crops, the renderer's training and bench/render_quality.py read plain numbers and
never need mediapipe in the project's venv.

Runs in its own venv, because mediapipe 0.10.14 (the last wheel that bundles its models)
needs numpy<2, which the project's venv must not get. The recipe (also `scripts/venv-track`):

    python3 -m venv .venv-track
    .venv-track/bin/pip install 'mediapipe==0.10.14' 'numpy<2' imageio-ffmpeg
    OMP_NUM_THREADS=1 nice -n 10 .venv-track/bin/python -m training.face.track \\
        ../shared/data/video/grid-s1/clips -o build/face/grid-s1-landmarks.npz

Inputs are .mp4 videos or .npy frame stacks (T, H, W, 3) uint8 RGB (what the render bench
writes for generated frames, so they are tracked without a lossy re-encode). Video mode (one
FaceMesh per clip, so tracking carries across frames), one face, refine_landmarks off (468
points). Output: ids (N,), landmarks (N, CLIP_FRAMES, 468, 2) float32 pixels, NaN where no
face was found or past a short clip's end. Paths and readers are bench/face_tracks.py's
(numpy and the standard library only), shared with the project's venv."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from bench.face_tracks import CLIP_FRAMES, LANDMARKS, MESH_POINTS, iter_frames


def track_clip(mesh: object, source: Path, frames: int = CLIP_FRAMES) -> np.ndarray:
    """(frames, 468, 2) pixel landmarks of one clip, NaN rows where no face was found."""
    out = np.full((frames, MESH_POINTS, 2), np.nan, dtype=np.float32)
    for i, frame in enumerate(iter_frames(source)):
        if i >= frames:
            continue  # drain the reader so ffmpeg exits cleanly
        result = mesh.process(np.ascontiguousarray(frame))  # type: ignore[attr-defined]
        if not result.multi_face_landmarks:
            continue
        h, w = frame.shape[:2]
        lm = result.multi_face_landmarks[0].landmark
        out[i] = np.array([(p.x * w, p.y * h) for p in lm[:MESH_POINTS]], dtype=np.float32)
    return out


def track_all(sources: list[Path], path: Path, frames: int = CLIP_FRAMES) -> dict:
    """Track every source in one process (a fresh FaceMesh per clip, video mode) and save."""
    try:
        import mediapipe as mp
    except ImportError as exc:
        raise SystemExit(f"training/face/track.py needs mediapipe==0.10.14 in .venv-track "
                         f"(see its docstring): {exc}") from exc
    landmarks = np.full((len(sources), frames, MESH_POINTS, 2), np.nan, dtype=np.float32)
    t0 = time.perf_counter()
    for k, source in enumerate(sources):
        with mp.solutions.face_mesh.FaceMesh(static_image_mode=False, max_num_faces=1) as mesh:
            landmarks[k] = track_clip(mesh, source, frames)
        if (k + 1) % 50 == 0 or k + 1 == len(sources):
            print(f"[face.track] {k + 1}/{len(sources)} clips, "
                  f"{time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - t0
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, ids=np.array([s.stem for s in sources]), landmarks=landmarks,
             mediapipe=np.array(mp.__version__))
    return {"clips": len(sources), "seconds": round(seconds, 1),
            "ms_per_frame": round(1000 * seconds / max(1, len(sources) * frames), 2),
            "frames_with_face": round(float(np.isfinite(landmarks[..., 0, 0]).mean()), 4),
            "path": str(path)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", type=Path, nargs="+",
                        help="a folder of <id>.mp4 clips, or .mp4/.npy files")
    parser.add_argument("-o", "--output", type=Path, default=LANDMARKS)
    parser.add_argument("--limit", type=int, default=None, help="only the first N clips")
    args = parser.parse_args(argv)
    sources: list[Path] = []
    for item in args.inputs:
        sources += sorted(item.glob("*.mp4")) if item.is_dir() else [item]
    if not sources:
        raise SystemExit(f"no .mp4 clips in {' '.join(map(str, args.inputs))}")
    print(track_all(sources[:args.limit], args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
