"""The ICT face rig (MIT, see assets/ict-face): poses ARKit-52 weights into a real head mesh
and defines what keypoints mean: keypoints = pose(weights)[landmarks68] - neutral."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from .names import ARKIT52

RIG_PATH = Path(__file__).parent / "assets" / "ict-face" / "ict_face.npz"

# Multi-PIE 68 landmark indices used by the lip-sync metrics.
UPPER_LIP_INNER = 62
LOWER_LIP_INNER = 66
MOUTH_CORNER_LEFT = 48
MOUTH_CORNER_RIGHT = 54


@dataclass(frozen=True)
class Rig:
    neutral: np.ndarray  # (V, 3) cm
    faces: np.ndarray  # (F, 4) quads; triangles repeat their last index
    face_material: np.ndarray  # (F,)
    material_names: tuple[str, ...]
    expression_names: tuple[str, ...]  # 53 ICT names (xxx_L / xxx_R)
    vertex_index: np.ndarray  # (N,) vertices that expressions move
    deltas: np.ndarray  # (53, N, 3) float32 cm at weight 1
    landmarks68: np.ndarray  # (68,) vertex indices
    arkit_to_ict: np.ndarray  # (52, 53): ICT weights = ARKit weights @ arkit_to_ict
    landmark_deltas: np.ndarray  # (53, 68, 3) deltas of the landmark vertices

    def ict_weights(self, arkit_weights: np.ndarray) -> np.ndarray:
        """ARKit-52 weights (..., 52) -> ICT weights (..., 53), clipped to [0, 1]."""
        w = np.clip(np.asarray(arkit_weights, dtype=np.float32), 0.0, 1.0)
        return w @ self.arkit_to_ict

    def keypoints(self, arkit_weights: np.ndarray) -> np.ndarray:
        """(T, 52) -> (T, 68, 3) landmark displacements from neutral, in cm."""
        ict = self.ict_weights(arkit_weights)
        return np.einsum("te,ekc->tkc", ict, self.landmark_deltas, optimize=True)

    def pose(self, arkit_weights: np.ndarray) -> np.ndarray:
        """One frame of ARKit-52 weights -> all (V, 3) vertex positions in cm."""
        ict = self.ict_weights(arkit_weights)
        vertices = self.neutral.copy()
        vertices[self.vertex_index] += np.tensordot(ict, self.deltas, axes=1)
        return vertices

    @property
    def neutral_landmarks(self) -> np.ndarray:
        return self.neutral[self.landmarks68]


def arkit_to_ict_name(arkit: str) -> list[str]:
    """The ICT shape names an ARKit channel drives (empty for tongueOut)."""
    if arkit in ("browInnerUp", "cheekPuff"):
        return [arkit + "_L", arkit + "_R"]
    if arkit in ("jawLeft", "jawRight", "mouthLeft", "mouthRight"):
        return [arkit]  # directions, not sides
    if arkit.endswith("Left"):
        return [arkit[: -len("Left")] + "_L"]
    if arkit.endswith("Right"):
        return [arkit[: -len("Right")] + "_R"]
    if arkit == "tongueOut":
        return []
    return [arkit]


@cache
def load_rig(path: Path = RIG_PATH) -> Rig:
    """Load the bundled rig once per process."""
    data = np.load(path)
    names = tuple(str(n) for n in data["expression_names"])
    mapping = np.zeros((len(ARKIT52), len(names)), dtype=np.float32)
    for i, arkit in enumerate(ARKIT52):
        for ict in arkit_to_ict_name(arkit):
            mapping[i, names.index(ict)] = 1.0
    vertex_index = data["expression_vertex_index"]
    deltas = data["expression_deltas"].astype(np.float32)
    landmarks = data["landmarks68"]
    position = {int(v): k for k, v in enumerate(vertex_index)}
    lm_deltas = np.zeros((len(names), 68, 3), dtype=np.float32)
    for j, v in enumerate(landmarks):
        if int(v) in position:
            lm_deltas[:, j] = deltas[:, position[int(v)]]
    return Rig(
        neutral=data["neutral_vertices"].astype(np.float32),
        faces=data["faces"],
        face_material=data["face_material"],
        material_names=tuple(str(n) for n in data["material_names"]),
        expression_names=names,
        vertex_index=vertex_index,
        deltas=deltas,
        landmarks68=landmarks,
        arkit_to_ict=mapping,
        landmark_deltas=lm_deltas,
    )


def keypoints(arkit_weights: np.ndarray) -> np.ndarray:
    """(T, 52) ARKit weights -> (T, 68, 3) keypoint displacements (cm) on the bundled rig."""
    return load_rig().keypoints(arkit_weights)


def mouth_signals(arkit_weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lip gap and mouth width in mm per frame, as the lip-sync metrics define them:
    gap = max(0, y(lm62) - y(lm66)) (+Y up), width = |lm48 - lm54|."""
    rig = load_rig()
    lm = rig.neutral_landmarks[None] + rig.keypoints(arkit_weights)
    gap = np.maximum(0.0, lm[:, UPPER_LIP_INNER, 1] - lm[:, LOWER_LIP_INNER, 1]) * 10.0
    width = np.linalg.norm(lm[:, MOUTH_CORNER_LEFT] - lm[:, MOUTH_CORNER_RIGHT], axis=1) * 10.0
    return gap, width
