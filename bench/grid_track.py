"""Track the lips of the GRID s1 clips offline with MediaPipe FaceMesh, once, so the real-lip
bench (bench/grid.py) and training read plain numbers instead of needing mediapipe.

Runs in its own venv (mediapipe 0.10.14 bundles its models and needs numpy<2, which the
project's venv must not get):

    python3 -m venv .venv-track
    .venv-track/bin/pip install 'mediapipe==0.10.14' 'numpy<2' imageio-ffmpeg
    OMP_NUM_THREADS=1 .venv-track/bin/python bench/grid_track.py ../shared/data/video/grid-s1/clips

Per frame (DESIGN.md "Quality metrics", GRID): inner-lip gap |lm13 - lm14| and corner width
|lm61 - lm291|, each divided by the outer eye-corner distance |lm33 - lm263| (distances in
pixels, so the 360x288 frame's aspect does not skew them); NaN where no face was found.
Writes bench/data/grid_s1_lips.npz. This module imports only numpy and the standard library
at the top, so bench/grid.py can share its constants and loader."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TRACKS = Path(__file__).parent / "data" / "grid_s1_lips.npz"
VIDEO_FPS = 25.0
CLIP_FRAMES = 75  # GRID clips are 3 s at 25 fps
UPPER_LIP, LOWER_LIP = 13, 14  # FaceMesh inner-lip midpoints
MOUTH_CORNERS = (61, 291)
EYE_CORNERS = (33, 263)  # outer eye corners: the face's scale


@dataclass(frozen=True)
class LipTracks:
    """Tracked lips of every clip, (N, CLIP_FRAMES) float32, NaN where no face was found."""

    ids: list[str]
    gap: np.ndarray  # inner-lip gap / eye-corner distance
    width: np.ndarray  # mouth-corner distance / eye-corner distance
    eyes: np.ndarray  # eye-corner distance in pixels (the scale of both ratios)

    def index(self, clip_id: str) -> int:
        return self.ids.index(clip_id)


def load_tracks(path: Path = TRACKS) -> LipTracks:
    """Read the committed tracks (no mediapipe needed)."""
    with np.load(path) as z:
        return LipTracks([str(i) for i in z["ids"]], z["gap"], z["width"], z["eyes"])


def _distance(points: np.ndarray, a: int, b: int) -> float:
    return float(np.hypot(*(points[a] - points[b])))


def track_clip(mesh: object, video: Path) -> np.ndarray:
    """(CLIP_FRAMES, 3) gap px, width px, eye px of one clip; NaN rows for frames without a
    face and for frames past the end of a short clip."""
    import imageio_ffmpeg

    out = np.full((CLIP_FRAMES, 3), np.nan, dtype=np.float64)
    reader = imageio_ffmpeg.read_frames(str(video), pix_fmt="rgb24")
    meta = next(reader)
    w, h = meta["size"]
    scale = np.array([w, h], dtype=np.float64)
    for i, raw in enumerate(reader):
        if i >= CLIP_FRAMES:
            continue  # drain the reader so ffmpeg exits cleanly
        frame = np.frombuffer(raw, dtype=np.uint8).reshape(h, w, 3)
        result = mesh.process(frame)  # type: ignore[attr-defined]
        if not result.multi_face_landmarks:
            continue
        lm = result.multi_face_landmarks[0].landmark
        points = np.array([(p.x, p.y) for p in lm], dtype=np.float64) * scale
        out[i] = (_distance(points, UPPER_LIP, LOWER_LIP),
                  _distance(points, *MOUTH_CORNERS),
                  _distance(points, *EYE_CORNERS))
    return out


def track_all(clips: Path, path: Path = TRACKS, limit: int | None = None) -> dict:
    """Track every clips/*.mp4 in one process (one FaceMesh per clip, video mode) and save."""
    try:
        import imageio_ffmpeg  # noqa: F401 - track_clip's decoder
        import mediapipe as mp
    except ImportError as exc:
        raise SystemExit(f"bench/grid_track.py needs mediapipe==0.10.14 and imageio-ffmpeg in "
                         f"its own venv (see its docstring): {exc}") from exc
    videos = sorted(clips.glob("*.mp4"))[:limit]
    if not videos:
        raise SystemExit(f"no .mp4 clips in {clips}")
    raw = np.full((len(videos), CLIP_FRAMES, 3), np.nan)
    t0 = time.perf_counter()
    for k, video in enumerate(videos):
        with mp.solutions.face_mesh.FaceMesh(static_image_mode=False, max_num_faces=1) as mesh:
            raw[k] = track_clip(mesh, video)
        if (k + 1) % 50 == 0 or k + 1 == len(videos):
            print(f"[grid_track] {k + 1}/{len(videos)} clips, "
                  f"{time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - t0
    eyes = raw[..., 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = raw[..., 0] / eyes
        width = raw[..., 1] / eyes
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, ids=np.array([v.stem for v in videos]),
                        gap=gap.astype(np.float32), width=width.astype(np.float32),
                        eyes=eyes.astype(np.float32), fps=np.float32(VIDEO_FPS),
                        mediapipe=np.array(mp.__version__))
    found = float(np.isfinite(gap).mean())
    return {"clips": len(videos), "seconds": round(seconds, 1),
            "ms_per_frame": round(1000 * seconds / (len(videos) * CLIP_FRAMES), 2),
            "frames_with_face": round(found, 4), "path": str(path)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("clips", type=Path, help="the folder of GRID s1 <id>.mp4 clips")
    parser.add_argument("-o", "--output", type=Path, default=TRACKS)
    parser.add_argument("--limit", type=int, default=None, help="only the first N clips")
    args = parser.parse_args(argv)
    print(track_all(args.clips, args.output, args.limit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
