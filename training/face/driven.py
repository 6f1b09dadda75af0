"""What `voxrig render` feeds the generator, made for training clips: each clip's own audio
baked by voxrig (the default bake, as `voxrig render AUDIO` runs it) into 68 ICT keypoints,
placed onto the person by one ICT -> canvas similarity fitted on the training clips' tracked
closed-mouth faces.

Why from the clip and not the tracked lips: the generator must learn from the input it gets at
run time; trained on the real lips it would see, at render time, a mouth drawn by a different
hand (voxrig's rig, smoother, another amplitude) and draw something it never learned.

    .venv/bin/python -m training.face.driven   # -> build/face/driven.npz (about 2 min)"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from bench.face_tracks import CLIPS, LANDMARKS, load_landmarks
from bench.render_quality import bake_keypoints, read_audio, renderer_validation
from training.face.crops import CROPS
from voxrig.core.face_canvas import Similarity, fit_ict_to_canvas, mouth_columns, on_canvas
from voxrig.core.face_render import Placement

T = TypeVar("T")

DRIVEN = LANDMARKS.parent / "driven.npz"


def person_placement(clip_ids: list[str], tracks: dict[str, np.ndarray]) -> tuple[Placement, float]:
    """The ICT -> canvas similarity of the person, fitted on the given clips' tracked faces
    moved into the canvas, and its rms residual in canvas pixels."""
    from voxrig.core.rig import load_rig

    neutral = load_rig().neutral_landmarks.astype(np.float64)
    a, t, rms = fit_ict_to_canvas(neutral, canvas_points(clip_ids, tracks))
    return Placement(a, t, neutral), rms


def canvas_points(clip_ids: list[str], tracks: dict[str, np.ndarray]) -> np.ndarray:
    """(N, 468) complex: the given clips' tracked faces moved into the canvas by their crops'
    per-frame transforms, every frame with a face."""
    canvas = []
    for clip_id in clip_ids:
        with np.load(CROPS / f"{clip_id}.npz") as z:
            a, t = z["a"], z["t"]
        canvas.append(on_canvas(tracks[clip_id][:len(a)], Similarity(a, t)))
    return np.concatenate(canvas)


def training_columns(ids: list[str], tracks: dict[str, np.ndarray]) -> tuple[float, float]:
    """The crop columns the demo face's mouth is pasted over whole: where s1's mouth corners
    reach on the canvas in the training clips (the validation clips are never looked at)."""
    return mouth_columns(canvas_points(training_pool(ids), tracks))


def training_pool(ids: list[str]) -> list[str]:
    """Every tracked clip outside the renderer's 80 validation clips."""
    held_out = set(renderer_validation())
    return sorted(c for c in ids if c not in held_out)


def load_split(load: Callable[[list[str]], T]) -> tuple[T, T, float]:
    """The training pool's clips and the validation split's, each read by `load`, and the
    seconds that took (a recipe's first step)."""
    t0 = time.perf_counter()
    pool = load(training_pool(load_landmarks(LANDMARKS)[0]))
    return pool, load(renderer_validation()), time.perf_counter() - t0


def write_driven(out: Path = DRIVEN, limit: int | None = None) -> dict:
    """Baked keypoints of every training clip and the person's placement, into one npz."""
    ids, landmarks = load_landmarks(LANDMARKS)
    tracks = dict(zip(ids, landmarks, strict=True))
    pool = training_pool(ids)[:limit]
    t0 = time.perf_counter()
    place, rms = person_placement(pool, tracks)
    keypoints = {c: bake_keypoints(read_audio(CLIPS / f"{c}.mp4")) for c in pool}
    np.savez(out, ids=np.array(pool), ict_a=place.a, ict_t=place.t, ict_rms_px=rms,
             **{f"kp_{c}": kp for c, kp in keypoints.items()})
    return {"clips": len(pool), "ict_rms_canvas_px": round(rms, 2),
            "seconds": round(time.perf_counter() - t0, 1), "path": str(out)}


def load_driven(path: Path = DRIVEN) -> tuple[Placement, dict[str, np.ndarray]]:
    """The person's placement and the baked keypoints per training clip id."""
    from voxrig.core.rig import load_rig

    with np.load(path) as z:
        place = Placement(complex(z["ict_a"]), complex(z["ict_t"]),
                          load_rig().neutral_landmarks.astype(np.float64))
        return place, {str(c): z[f"kp_{c}"] for c in z["ids"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", type=Path, default=DRIVEN)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    print(write_driven(args.output, args.limit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
