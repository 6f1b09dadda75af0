"""The mouth generator judged by bench/render_quality.py on the renderer's 80 validation
clips, driven by the *real tracked* lips (the upper bound a clip-driven renderer approaches):
each frame's crop with the lower face masked + the clip's first tracked crop as reference +
the tracked lips' template -> ONNX -> the mouth crop pasted back with a feathered edge.

    nice -n 5 .venv/bin/python -m training.face.render_eval [--limit N] [--no-track]

Writes training/results/render-real-lips-<date>.json."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np

from bench import render_quality as rq
from bench.face_tracks import LANDMARKS, load_landmarks
from bench.results import git_sha, stamped, write_results
from training.face.crops import CROPS
from training.face.generator import OUT, RESULTS
from training.face.mouth_map import tracked_maps
from voxrig.core.face_canvas import FEATHER, MOUTH_BOX, paste
from voxrig.core.face_render import model_inputs


def session(path: Path = OUT / "mouth.onnx", threads: int = 1) -> object:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def real_lips_renderer(model: object) -> rq.Renderer:
    """A bench renderer drawing every tracked frame's mouth from its real tracked lips."""
    def render(clip_id: str, audio: np.ndarray, frames: np.ndarray,
               landmarks: np.ndarray) -> np.ndarray:
        with np.load(CROPS / f"{clip_id}.npz") as z:
            mouth, a, t = z["mouth"], z["a"], z["t"]
        n = min(len(frames), len(mouth))
        ref = np.repeat(mouth[rq.first_tracked(landmarks)][None], n, axis=0)
        maps = tracked_maps(landmarks[:n], a[:n], t[:n])
        drawn = model.run(None, {"x": model_inputs(mouth[:n], ref, maps)})[0]
        crops = np.clip(np.rint(drawn.transpose(0, 2, 3, 1) * 255), 0, 255).astype(np.uint8)
        out = np.repeat(frames[:1], len(frames), axis=0)
        for k in range(n):
            out[k] = paste(frames[k], crops[k], a[k], t[k], MOUTH_BOX, FEATHER)
        return out
    return render


def speed(model: object, frames: int = 75) -> float:
    """Generator frames per second, one crop per call (as a live renderer would)."""
    x = np.zeros((1, 9, 96, 96), dtype=np.float32)
    model.run(None, {"x": x})
    t0 = time.perf_counter()
    for _ in range(frames):
        model.run(None, {"x": x})
    return frames / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--no-track", action="store_true")
    args = parser.parse_args(argv)
    ids, landmarks = load_landmarks(LANDMARKS)
    tracks = dict(zip(ids, landmarks, strict=True))
    model = session()
    fps = {threads: round(speed(session(threads=threads)), 1) for threads in (1, 2)}
    clips = rq.renderer_validation()[:args.limit]
    result = rq.evaluate("generator_real_lips", real_lips_renderer(model), clips, tracks,
                         not args.no_track)
    print(result["mean"], "fps", fps)
    write_results(RESULTS / f"render-real-lips-{dt.date.today().isoformat()}.json",
                  stamped(git_sha(), driven_by="real tracked FaceMesh lips", feather=FEATHER,
                          generator_fps=fps, **result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
