"""Unity AnimationClip (`.anim`, Unity's YAML asset format): one float curve per ARKit
channel on `blendShape.<name>` of the SkinnedMeshRenderer (class 137) at `unity_path`
below the Animator, keys at the clip's frames with linear tangents, values 0-100 (Unity's
blend shape weight range). Keys that lie on the line between their neighbours are left
out: Unity's linear tangents reproduce them exactly."""

from __future__ import annotations

import re
import zlib

import numpy as np

from voxrig.core.clip import Clip
from voxrig.core.errors import VoxrigError

from .options import ExportOptions

BLEND_SHAPE_CLASS_ID = 137  # SkinnedMeshRenderer
LINEAR_TANGENTS = 69  # tangentMode bits: broken, left and right tangent Linear
_SAFE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_ ./()\-]*$")


def write(clip: Clip, options: ExportOptions) -> bytes:
    path = options.unity_path
    if path and not _SAFE.match(path):
        raise VoxrigError(f"--unity-path {path!r} may use letters, digits, spaces and "
                          "_ . / ( ) - only")
    name = re.sub(r"[^A-Za-z0-9_.\- ]", "_", options.name) or "voxrig"
    curves = []
    for j, channel in enumerate(clip.channels):
        times, values = reduced_keys(clip.times, clip.weights[:, j].astype(np.float64) * 100)
        curves.append(_curve(channel, path, times, values))
    curve_text = "".join(curves)
    bindings = "".join(
        f"    - serializedVersion: 2\n"
        f"      path: {zlib.crc32(path.encode())}\n"
        f"      attribute: {zlib.crc32(f'blendShape.{channel}'.encode())}\n"
        f"      script: {{fileID: 0}}\n"
        f"      typeID: {BLEND_SHAPE_CLASS_ID}\n"
        f"      customType: 20\n"
        f"      isPPtrCurve: 0\n"
        for channel in clip.channels
    )
    stop = _num((clip.frame_count - 1) / clip.fps)
    text = f"""%YAML 1.1
%TAG !u! tag:unity3d.com,2011:
--- !u!74 &7400000
AnimationClip:
  m_ObjectHideFlags: 0
  m_CorrespondingSourceObject: {{fileID: 0}}
  m_PrefabInstance: {{fileID: 0}}
  m_PrefabAsset: {{fileID: 0}}
  m_Name: {name}
  serializedVersion: 6
  m_Legacy: 0
  m_Compressed: 0
  m_UseHighQualityCurve: 1
  m_RotationCurves: []
  m_CompressedRotationCurves: []
  m_EulerCurves: []
  m_PositionCurves: []
  m_ScaleCurves: []
  m_FloatCurves:
{curve_text}  m_PPtrCurves: []
  m_SampleRate: {_num(clip.fps)}
  m_WrapMode: 0
  m_Bounds:
    m_Center: {{x: 0, y: 0, z: 0}}
    m_Extent: {{x: 0, y: 0, z: 0}}
  m_ClipBindingConstant:
    genericBindings:
{bindings}    pptrCurveMapping: []
  m_AnimationClipSettings:
    serializedVersion: 2
    m_AdditiveReferencePoseClip: {{fileID: 0}}
    m_AdditiveReferencePoseTime: 0
    m_StartTime: 0
    m_StopTime: {stop}
    m_OrientationOffsetY: 0
    m_Level: 0
    m_CycleOffset: 0
    m_HasAdditiveReferencePose: 0
    m_LoopTime: 0
    m_LoopBlend: 0
    m_LoopBlendOrientation: 0
    m_LoopBlendPositionY: 0
    m_LoopBlendPositionXZ: 0
    m_KeepOriginalOrientation: 0
    m_KeepOriginalPositionY: 1
    m_KeepOriginalPositionXZ: 0
    m_HeightFromFeet: 0
    m_Mirror: 0
  m_EditorCurves:
{curve_text}  m_EulerEditorCurves: []
  m_HasGenericRootTransform: 0
  m_HasMotionFloatCurves: 0
  m_Events: []
"""
    return text.encode("utf-8")


def reduced_keys(times: np.ndarray, values: np.ndarray,
                 tolerance: float = 1e-3, max_span: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Drop keys that linear interpolation between the kept keys reproduces within
    `tolerance` (in 0-100 units): flat stretches shrink to a key every `max_span` frames."""
    keep = [0]
    # i inside a constant stretch at the last key's value: the line to i + 1 stays flat
    # and every frame since that key already lay within tolerance of it
    flat = np.zeros(len(values), bool)
    flat[1:-1] = (values[1:-1] == values[:-2]) & (values[1:-1] == values[2:])
    for i in range(1, len(values) - 1):
        a = keep[-1]
        if i + 1 - a > max_span:
            keep.append(i)
            continue
        if flat[i] and values[i] == values[a]:
            continue
        span = times[a:i + 2]
        line = values[a] + (values[i + 1] - values[a]) * (span - times[a]) / (
            times[i + 1] - times[a])
        if np.max(np.abs(line - values[a:i + 2])) > tolerance:
            keep.append(i)
    if len(values) > 1:
        keep.append(len(values) - 1)
    idx = np.array(keep)
    return times[idx], values[idx]


def _curve(channel: str, path: str, times: np.ndarray, values: np.ndarray) -> str:
    slopes = np.diff(values) / np.diff(times) if len(times) > 1 else np.zeros(0)
    keys = []
    for k, (t, v) in enumerate(zip(times, values, strict=True)):
        in_slope = slopes[k - 1] if k > 0 else (slopes[0] if len(slopes) else 0.0)
        out_slope = slopes[k] if k < len(slopes) else in_slope
        keys.append(
            f"      - serializedVersion: 3\n"
            f"        time: {_num(t)}\n"
            f"        value: {_num(v)}\n"
            f"        inSlope: {_num(in_slope)}\n"
            f"        outSlope: {_num(out_slope)}\n"
            f"        tangentMode: {LINEAR_TANGENTS}\n"
            f"        weightedMode: 0\n"
            f"        inWeight: 0.33333334\n"
            f"        outWeight: 0.33333334\n"
        )
    return (
        "  - curve:\n"
        "      serializedVersion: 2\n"
        "      m_Curve:\n" + "".join(keys) +
        "      m_PreInfinity: 2\n"
        "      m_PostInfinity: 2\n"
        "      m_RotationOrder: 4\n"
        f"    attribute: blendShape.{channel}\n"
        f"    path: {path}\n"
        f"    classID: {BLEND_SHAPE_CLASS_ID}\n"
        "    script: {fileID: 0}\n"
    )


def _num(x: float) -> str:
    """A plain decimal (no exponent: every YAML reader takes it as a number)."""
    text = f"{float(x):.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def looks_like(head: bytes) -> bool:
    return head.startswith(b"%YAML 1.1\n%TAG !u! tag:unity3d.com,2011:\n--- !u!74 &7400000\n"
                           b"AnimationClip:\n  m_ObjectHideFlags: 0\n")
