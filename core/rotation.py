"""Head and eye rotations as receivers want them: degrees in the clip's convention turned
into Unity-style quaternions (VMC) and eye angles read back from the eye-look channels."""

from __future__ import annotations

import numpy as np

from .idle import LOOK_FULL
from .names import ARKIT_INDEX


def unity_quaternion(x: float, y: float, z: float) -> np.ndarray:
    """(qx, qy, qz, qw) of Unity's Quaternion.Euler(x, y, z) in degrees: rotate about z,
    then x, then y (Unity's left-handed axes: x right, y up, z forward)."""
    hx, hy, hz = np.radians([x, y, z]) / 2
    qx = np.array([np.sin(hx), 0.0, 0.0, np.cos(hx)])
    qy = np.array([0.0, np.sin(hy), 0.0, np.cos(hy)])
    qz = np.array([0.0, 0.0, np.sin(hz), np.cos(hz)])
    return _product(_product(qy, qx), qz)


def _product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product a * b of (x, y, z, w) quaternions (b is applied first)."""
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return np.array([aw * bx + ax * bw + ay * bz - az * by,
                     aw * by - ax * bz + ay * bw + az * bx,
                     aw * bz + ax * by - ay * bx + az * bw,
                     aw * bw - ax * bx - ay * by - az * bz])


def head_to_unity(head: np.ndarray) -> tuple[float, float, float]:
    """The clip's head (pitch down +, yaw to the avatar's left +, roll) as Unity Euler
    degrees for an avatar facing +z: x down +, y right + (so -yaw), z = roll."""
    pitch, yaw, roll = (float(v) for v in head)
    return pitch, -yaw, roll


def eye_angles(weights: np.ndarray) -> np.ndarray:
    """(2, 2) degrees [left eye, right eye] x [yaw to the avatar's left +, pitch up +], read
    from the eye-look channels (the inverse of idle.gaze_weights)."""
    w = {name: float(weights[i]) for name, i in ARKIT_INDEX.items() if name.startswith("eyeLook")}
    up = (w["eyeLookUpLeft"] - w["eyeLookDownLeft"], w["eyeLookUpRight"] - w["eyeLookDownRight"])
    left = (w["eyeLookOutLeft"] - w["eyeLookInLeft"], w["eyeLookInRight"] - w["eyeLookOutRight"])
    return np.array([[left[0], up[0]], [left[1], up[1]]]) * LOOK_FULL
