"""The bundled demo face (core/assets/face/): the trained generator, the person's reference
crop, canvas template and ICT -> canvas placement as grid-s1.voxface, and a short GRID s1
clip as the demo video with its per-frame canvas transforms precomputed, so rendering the
demo needs no face tracker.

    .venv/bin/python -m training.face.package [--model build/face/generator/mouth.onnx]
    .venv/bin/python -m training.face.package --model M.onnx -o build/face/M.voxface  # to judge
    ... --memory build/face/memory   # a generator trained with S1's memory carries it

The demo clip is the training clip (never one of the 80 validation clips) whose head moves
least, so the looped video does not swim."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import numpy as np

from bench.face_tracks import CLIPS, LANDMARKS, load_landmarks
from training.face.crops import CROPS, TEMPLATE
from training.face.driven import DRIVEN, load_driven, training_columns, training_pool
from training.face.generator import OUT
from voxrig.bridge.render.command import DEMO_FACE, DEMO_TRACK, DEMO_VIDEO
from voxrig.bridge.render.voxface import Face, write_face
from voxrig.core.face_canvas import neutral_frames

SOURCE = ("GRID audio-visual corpus, speaker s1 (Cooke, Barker, Cunningham, Shao, JASA 120(5), "
          "2006; doi:10.5281/zenodo.3625687)")
LICENSE = "CC BY 4.0"


def steadiest_clip(ids: list[str], tracks: dict[str, np.ndarray]) -> str:
    """The training clip with a face in every frame whose canvas transform varies least."""
    best, spread = "", np.inf
    for clip_id in training_pool(ids):
        if not np.isfinite(tracks[clip_id]).all():
            continue
        with np.load(CROPS / f"{clip_id}.npz") as z:
            motion = float(np.std(z["t"]) + 100 * np.std(z["a"]))
        if motion < spread:
            best, spread = clip_id, motion
    return best


def package(model: Path, out_face: Path = DEMO_FACE, memory: Path | None = None) -> dict:
    """Write the demo face (with the mouth memory of the folder `memory`, for a generator
    trained with it), and, when it is the bundled one, the demo video and track; returns what
    was written."""
    ids, landmarks = load_landmarks(LANDMARKS)
    tracks = dict(zip(ids, landmarks, strict=True))
    demo = steadiest_clip(ids, tracks)
    with np.load(CROPS / f"{demo}.npz") as z:
        mouth, a, t = z["mouth"], z["a"], z["t"]
    closed = int(neutral_frames(tracks[demo][:len(mouth)])[0])
    place, _ = load_driven(DRIVEN)
    sound, prototypes = None, None
    if memory is not None:
        from training.face.memory import export_memory, open_memory

        prototypes, sound = open_memory(memory).prototypes, export_memory(memory)
    face = Face("GRID s1 (demo)", model.read_bytes(), mouth[closed], np.load(TEMPLATE),
                place.a, place.t, memory=sound, prototypes=prototypes,
                columns=training_columns(ids, tracks))
    out_face.parent.mkdir(parents=True, exist_ok=True)
    write_face(out_face, face, source=SOURCE, license=LICENSE)
    files: tuple[Path, ...] = (out_face,)
    if out_face == DEMO_FACE:
        shutil.copyfile(CLIPS / f"{demo}.mp4", DEMO_VIDEO)
        np.savez(DEMO_TRACK, a=a, t=t, clip=np.array(demo))
        files += (DEMO_VIDEO, DEMO_TRACK)
    return {"demo_clip": demo, "reference_frame": closed,
            "bytes": {p.name: p.stat().st_size for p in files},
            "total_mb": round(sum(p.stat().st_size for p in files) / 2 ** 20, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=OUT / "mouth.onnx")
    parser.add_argument("-o", "--output", type=Path, default=DEMO_FACE,
                        help="the face file (default: the bundled demo face, with its video)")
    parser.add_argument("--memory", type=Path, default=None,
                        help="the mouth memory the generator was trained with (its folder)")
    args = parser.parse_args(argv)
    print(package(args.model, args.output, args.memory))
    return 0


if __name__ == "__main__":
    sys.exit(main())
