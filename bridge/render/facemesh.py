"""Track a video's face with MediaPipe FaceMesh (468 landmarks, pixels), for `voxrig render
--video`. Imports only the standard library, numpy, mediapipe and imageio-ffmpeg, and no
voxrig module, so it also runs as a plain script under another interpreter:

    OTHER_PYTHON bridge/render/facemesh.py VIDEO OUT.npz

Why another interpreter: mediapipe 0.10.14 (the last wheel that bundles its models, so
nothing downloads) needs numpy<2 and protobuf 4, which a venv with numpy 2 cannot hold; the
renderer then runs it in the venv named by VOXRIG_FACE_PYTHON (bridge/render/tracking.py).

OUT holds `landmarks` (T, 468, 2) float32 pixels of the largest face, NaN where none was
found, and `faces` (T,) int8, how many faces each frame shows (up to MAX_FACES)."""

from __future__ import annotations

import sys

import numpy as np

MESH_POINTS = 468
MAX_FACES = 2  # enough to tell one face from several


def track_video(path: str) -> tuple[np.ndarray, np.ndarray]:
    """(landmarks (T, 468, 2) float32, faces (T,) int8) of every frame of a video."""
    import imageio_ffmpeg
    import mediapipe as mp

    reader = imageio_ffmpeg.read_frames(path, pix_fmt="rgb24")
    w, h = next(reader)["size"]
    points, faces = [], []
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=False, max_num_faces=MAX_FACES,
                                         refine_landmarks=False) as mesh:
        for raw in reader:
            frame = np.frombuffer(raw, dtype=np.uint8).reshape(h, w, 3)
            found = mesh.process(np.ascontiguousarray(frame)).multi_face_landmarks or []
            faces.append(len(found))
            out = np.full((MESH_POINTS, 2), np.nan, dtype=np.float32)
            if found:
                shapes = [np.array([(p.x * w, p.y * h) for p in f.landmark[:MESH_POINTS]])
                          for f in found]
                out[:] = max(shapes, key=lambda s: np.ptp(s[:, 0]) * np.ptp(s[:, 1]))
            points.append(out)
    if not points:
        return np.zeros((0, MESH_POINTS, 2), np.float32), np.zeros(0, np.int8)
    return np.stack(points), np.array(faces, dtype=np.int8)


def main(argv: list[str]) -> int:
    video, out = argv
    landmarks, faces = track_video(video)
    np.savez(out, landmarks=landmarks, faces=faces)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
