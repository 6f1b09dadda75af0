"""Seed S4 (issue 17): does the clip's expression and its talking / listening state show in
the rendered face? The bundled line (first 4 s) rendered by `voxrig render` with a face
(the bundled one by default) in several states, each output tracked by FaceMesh (as
bench/render_quality tracks generated frames): the inner-lip gap (mean and spread: how much
the mouth moves) and the mouth's width corner to corner, in pixels of the frame, beside the
demo video's own frames and the driving clips' own mouth width on the rig.

    .venv/bin/python -m bench.render_steer [--face NAME.voxface]

The states: as `voxrig render` bakes by default (emotion from the voice), `--emotion none`,
held happy and held sad (emotion timeline files), and `--listen` (the face hears the line:
no lip motion, nods and smiles). Writes bench/render_steer_results/<date>-<sha>.json."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from .results import REPO, git_sha, results_path, stamped, write_results

RESULTS_DIR = Path(__file__).parent / "render_steer_results"
SECONDS = 4.0
CORNERS = (61, 291)  # FaceMesh's outer mouth corners
STATES = {"default": [], "no emotion": ["--emotion", "none"], "happy": ["--emotion", "happy"],
          "sad": ["--emotion", "sad"], "listening": ["--listen"]}


def mouth_measures(points: np.ndarray) -> dict:
    """Mean and spread of the inner-lip gap and mean mouth width of tracked frames
    (T, 478, 2) pixels; frames without a face left out."""
    from voxrig.core.face_canvas import LOWER_LIP, UPPER_LIP

    found = np.isfinite(points).all(axis=(1, 2))
    p = points[found]
    gap = np.hypot(*(p[:, UPPER_LIP] - p[:, LOWER_LIP]).T)
    width = np.hypot(*(p[:, CORNERS[0]] - p[:, CORNERS[1]]).T)
    return {"frames": int(found.sum()), "lip_gap_mean": round(float(gap.mean()), 2),
            "lip_gap_sd": round(float(gap.std()), 2), "mouth_width": round(float(width.mean()), 2)}


def emotion_file(folder: Path, name: str) -> Path:
    path = folder / f"{name}.emotion.json"
    path.write_text(json.dumps({"format": "voxrig.emotion", "version": 1, "segments": [
        {"start": 0.0, "end": SECONDS, "emotion": name, "intensity": 1.0}]}))
    return path


def clip_width(clip_path: Path) -> float:
    """Mean mouth width of a baked clip on the rig (cm, corner keypoints 48 and 54)."""
    from voxrig.bridge.clipio import load_clip
    from voxrig.core.face_render import keypoints_at
    from voxrig.core.rig import load_rig

    clip = load_clip(clip_path)
    neutral = load_rig().neutral_landmarks
    points = neutral[None] + keypoints_at(clip, clip.fps)
    return round(float(np.linalg.norm(points[:, 48] - points[:, 54], axis=1).mean()), 3)


def run(face: Path | None) -> dict:
    from voxrig.bridge.cli import SAMPLE_AUDIO, main
    from voxrig.bridge.render.command import DEMO_VIDEO
    from voxrig.bridge.render.tracking import PYTHON_VARIABLE, face_landmarks

    os.environ.setdefault(PYTHON_VARIABLE, str(REPO / ".venv-track" / "bin" / "python"))
    out: dict = {"face": str(face) if face else "bundled", "seconds": SECONDS,
                 "video": mouth_measures(face_landmarks(DEMO_VIDEO).points)}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        samples, rate = sf.read(SAMPLE_AUDIO, dtype="float32")
        speech = folder / "line.wav"
        sf.write(speech, samples[: int(SECONDS * rate)], rate)
        for state, options in STATES.items():
            if options[:1] == ["--emotion"] and options[1] != "none":
                options = ["--emotion", str(emotion_file(folder, options[1]))]
            clip, video = folder / f"{len(out)}.voxrig.json", folder / f"{len(out)}.mp4"
            face_option = ["--face", str(face)] if face else []
            assert main(["bake", str(speech), "--keypoints", "--fps", "25", "-o", str(clip),
                         "-q", *options]) == 0
            assert main(["render", str(clip), "--audio", str(speech), "-o", str(video), "-q",
                         *face_option]) == 0
            out[state] = {**mouth_measures(face_landmarks(video).points),
                          "clip_mouth_width_cm": clip_width(clip)}
            print(state, out[state], flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--face", type=Path, default=None, help="a .voxface (default bundled)")
    args = parser.parse_args(argv)
    payload = run(args.face)
    sha = git_sha()
    write_results(results_path(RESULTS_DIR, sha), stamped(sha, **payload))
    return 0


if __name__ == "__main__":
    sys.exit(main())
