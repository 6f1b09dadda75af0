"""Where the face is in each frame of the video `voxrig render` dubs: the bundled demo video's
transforms are precomputed (no tracker needed); a user's video is tracked by MediaPipe
FaceMesh (bridge/render/facemesh.py), in this interpreter when it has mediapipe, else in the
one VOXRIG_FACE_PYTHON names (mediapipe 0.10.14 needs numpy<2, see docs/cli.md, render)."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voxrig.core.errors import VoxrigError
from voxrig.core.face_canvas import (
    MOUTH_BOX,
    MOUTH_SIZE,
    STABLE,
    as_complex,
    crop,
    fit_ict_to_canvas,
    frame_transforms,
    neutral_frames,
    on_canvas,
)
from voxrig.core.face_render import Placement

from . import facemesh
from .voxface import Face

PYTHON_VARIABLE = "VOXRIG_FACE_PYTHON"
INSTALL = ("python3 -m venv ~/.voxrig-face && ~/.voxrig-face/bin/pip install "
           "'mediapipe==0.10.14' 'numpy<2' imageio-ffmpeg")
MIN_EYE_DISTANCE_PX = 32.0  # outer eye corners: below this the 96-px mouth crop is upsampled 2x
SEVERAL_FACES_SHARE = 0.1  # more than this share of frames with 2 faces: whose mouth?


@dataclass(frozen=True)
class Track:
    """A video's face: per-frame frame -> canvas similarity and, for a tracked user video, the
    person's own closed-mouth crop and ICT -> canvas placement (None: use the face model's)."""

    a: np.ndarray  # (T,) complex
    t: np.ndarray  # (T,) complex
    reference: np.ndarray | None = None
    ict_a: complex | None = None
    ict_t: complex | None = None


def person(track: Track, face: Face, neutral: np.ndarray) -> tuple[Placement, np.ndarray]:
    """Where the clip's keypoints land and the reference mouth crop: the tracked video's own
    when it has them (another person, other light), else the face model's."""
    if track.ict_a is None or track.ict_t is None or track.reference is None:
        return face.placement(neutral), face.reference
    return Placement(track.ict_a, track.ict_t, neutral), track.reference


def load_track(path: Path) -> Track:
    """A precomputed track (the bundled demo video's): arrays a and t."""
    with np.load(path) as z:
        return Track(z["a"], z["t"])


@dataclass(frozen=True)
class Landmarks:
    """A video's FaceMesh landmarks (T, 468, 2), NaN where no face was found, and the number
    of faces in each frame (T,)."""

    points: np.ndarray
    faces: np.ndarray


def face_landmarks(path: Path) -> Landmarks:
    """Track a user's video, and say at once if its face cannot be dubbed: render calls this
    before it bakes the audio, so a bad video costs seconds, not a bake."""
    points, faces = _facemesh(path)
    marks = Landmarks(points, faces)
    check_face(str(path), marks)
    return marks


def check_face(name: str, marks: Landmarks) -> None:
    """The problems a video can have (no face, several, too small), one line each."""
    found = np.isfinite(marks.points).all(axis=(1, 2))
    if not found.any():
        raise VoxrigError(f"no face found in video {name!r} (the renderer needs the speaker's "
                          f"face, frontal and unhidden)")
    several = float(np.mean(marks.faces >= 2))
    if several > SEVERAL_FACES_SHARE:
        raise VoxrigError(f"video {name!r} shows several faces ({100 * several:.0f}% of frames "
                          f"have two or more); crop it to the one speaker")
    found_points = marks.points[found]
    eyes = np.abs(as_complex(found_points[:, STABLE[0]] - found_points[:, STABLE[3]]))
    if np.median(eyes) < MIN_EYE_DISTANCE_PX:
        raise VoxrigError(f"the face in video {name!r} is too small ({np.median(eyes):.0f} px "
                          f"between the outer eye corners; at least {MIN_EYE_DISTANCE_PX:.0f} "
                          f"are needed): use a closer or larger video")


def track_from_landmarks(name: str, marks: Landmarks, count: int,
                         frame_at: Callable[[int], np.ndarray], template: np.ndarray,
                         neutral: np.ndarray) -> Track:
    """The Track of the video's first `count` frames (those the dub shows), held on the face
    model's canvas (template). frame_at(k) gives frame k (H, W, 3): only the closed-mouth
    reference frame is needed, so a streamed video need not be held to be tracked."""
    marks = Landmarks(marks.points[:count], marks.faces[:count])
    check_face(name, marks)  # the frames used may miss what the whole video has
    landmarks = marks.points
    found = np.isfinite(landmarks).all(axis=(1, 2))
    sim = frame_transforms(landmarks, template)
    ict_a, ict_t, _ = fit_ict_to_canvas(neutral, on_canvas(landmarks, sim))
    closed = int(np.flatnonzero(found)[neutral_frames(landmarks[found])[0]])
    reference = crop(frame_at(closed), sim.a[closed], sim.t[closed], MOUTH_BOX, MOUTH_SIZE)
    return Track(sim.a, sim.t, reference, ict_a, ict_t)


def _facemesh(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(landmarks, faces) of a video from facemesh.py, here or in VOXRIG_FACE_PYTHON."""
    try:
        import mediapipe  # noqa: F401
    except ImportError:
        pass
    else:
        return facemesh.track_video(str(path))
    python = os.environ.get(PYTHON_VARIABLE)
    if not python:
        raise VoxrigError(f"tracking the face in video {str(path)!r} needs mediapipe==0.10.14, "
                          f"which needs numpy<2: pip install 'voxrig[face]' in a venv of its "
                          f"own, or {INSTALL} and set {PYTHON_VARIABLE}=~/.voxrig-face/bin/python")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "landmarks.npz"
        try:
            proc = subprocess.run([python, facemesh.__file__, str(path), str(out)],
                                  capture_output=True, text=True, errors="replace",
                                  env={**os.environ, "OMP_NUM_THREADS": "1"})
        except OSError as exc:
            raise VoxrigError(f"cannot run {PYTHON_VARIABLE}={python}: {exc.strerror}") from None
        if proc.returncode != 0 or not out.exists():
            lines = proc.stderr.strip().splitlines()
            raise VoxrigError(f"face tracking with {PYTHON_VARIABLE}={python} failed on "
                              f"{str(path)!r}: {lines[-1] if lines else proc.returncode}")
        with np.load(out) as z:
            return z["landmarks"], z["faces"]
