"""The clip: the one data structure that flows from producers (animators) to consumers (files,
OSC, Blender). Frame i is at time i / fps. This module also defines the `voxrig.clip` JSON
format (as plain dicts) and validates it; reading and writing files lives in voxrig.bridge."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .errors import ClipFormatError
from .names import ARKIT52, OVR15

FORMAT = "voxrig.clip"
VERSION = 1


@dataclass
class Clip:
    """Per-frame face animation. Arrays are float32 and share the first (frame) axis."""

    fps: float
    weights: np.ndarray  # (T, C) in [0, 1], columns named by `channels`
    channels: tuple[str, ...] = ARKIT52
    duration: float | None = None  # seconds of audio covered; default T / fps
    keypoints: np.ndarray | None = None  # (T, 68, 3) cm displacement, Multi-PIE 68 order
    head: np.ndarray | None = None  # (T, 3) pitch, yaw, roll in degrees
    visemes: np.ndarray | None = None  # (T, 15) OVR-15 weights
    viseme_names: tuple[str, ...] = OVR15
    emotion: np.ndarray | None = None  # (T, E) probabilities over `emotion_names`
    emotion_names: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.fps = float(self.fps)
        self.weights = np.asarray(self.weights, dtype=np.float32)
        self.channels = tuple(self.channels)
        for name in ("keypoints", "head", "visemes", "emotion"):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, np.asarray(value, dtype=np.float32))
        if self.duration is None:
            self.duration = self.frame_count / self.fps if self.fps > 0 else 0.0
        validate(self)

    @property
    def frame_count(self) -> int:
        return int(self.weights.shape[0])

    @property
    def times(self) -> np.ndarray:
        """Time of each frame in seconds."""
        return np.arange(self.frame_count, dtype=np.float64) / self.fps

    def channel(self, name: str) -> np.ndarray:
        """The curve of one named channel (a view, not a copy)."""
        try:
            return self.weights[:, self.channels.index(name)]
        except ValueError:
            raise KeyError(f"clip has no channel {name!r}") from None

    def with_(self, **changes: Any) -> Clip:
        """A copy with some fields replaced (validated again)."""
        return replace(self, **changes)


def frame_count_for(duration: float, fps: float) -> int:
    """Frames needed so that frames at i/fps cover [0, duration]: the last one is at or
    before the end of the audio."""
    return int(math.floor(duration * fps + 1e-9)) + 1


def validate(clip: Clip) -> None:
    """Raise ClipFormatError with a specific message if the clip is inconsistent."""
    if not (math.isfinite(clip.fps) and 0 < clip.fps <= 1000):
        raise ClipFormatError(f"fps must be a number in (0, 1000], got {clip.fps}")
    w = clip.weights
    if w.ndim != 2 or w.shape[1] != len(clip.channels):
        raise ClipFormatError(
            f"weights must be frames x {len(clip.channels)} channels, got shape {w.shape}"
        )
    if len(set(clip.channels)) != len(clip.channels):
        raise ClipFormatError("channel names must be unique")
    if w.shape[0] < 1:
        raise ClipFormatError("a clip needs at least one frame")
    if not np.all(np.isfinite(w)):
        raise ClipFormatError("weights contain NaN or infinite values")
    if w.size and (w.min() < -1e-6 or w.max() > 1 + 1e-6):
        raise ClipFormatError(
            f"weights must lie in [0, 1], found [{w.min():.4f}, {w.max():.4f}]"
        )
    t = w.shape[0]
    if not (math.isfinite(clip.duration) and clip.duration >= 0):
        raise ClipFormatError(f"duration must be a non-negative number, got {clip.duration}")
    if clip.duration + 1e-6 < (t - 1) / clip.fps:
        raise ClipFormatError(
            f"{t} frames at {clip.fps} fps need a duration of at least "
            f"{(t - 1) / clip.fps:.3f} s, got {clip.duration:.3f} s"
        )
    _check_track(clip.keypoints, "keypoints", (t, 68, 3))
    _check_track(clip.head, "head", (t, 3))
    _check_track(clip.visemes, "visemes", (t, len(clip.viseme_names)))
    _check_track(clip.emotion, "emotion", (t, len(clip.emotion_names)))


def _check_track(arr: np.ndarray | None, name: str, shape: tuple[int, ...]) -> None:
    if arr is None:
        return
    if arr.shape != shape:
        raise ClipFormatError(f"{name} must have shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ClipFormatError(f"{name} contain NaN or infinite values")


def _rounded(arr: np.ndarray, decimals: int) -> list:
    return np.round(arr.astype(np.float64), decimals).tolist()


def to_dict(clip: Clip) -> dict[str, Any]:
    """The clip as a `voxrig.clip` version 1 JSON object."""
    out: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "fps": clip.fps,
        "frame_count": clip.frame_count,
        "duration": round(float(clip.duration), 6),
        "channels": list(clip.channels),
        "weights": _rounded(clip.weights, 5),
    }
    if clip.keypoints is not None:
        out["keypoints"] = {
            "layout": "multipie68",
            "units": "cm",
            "kind": "displacement",
            "frames": _rounded(clip.keypoints, 5),
        }
    if clip.visemes is not None:
        out["visemes"] = {
            "set": "ovr15",
            "names": list(clip.viseme_names),
            "weights": _rounded(clip.visemes, 5),
        }
    if clip.head is not None:
        out["head"] = {"order": ["pitch", "yaw", "roll"], "units": "degrees",
                       "frames": _rounded(clip.head, 4)}
    if clip.emotion is not None:
        out["emotion"] = {"names": list(clip.emotion_names),
                          "weights": _rounded(clip.emotion, 5)}
    out["meta"] = clip.meta
    return out


def from_dict(data: Any) -> Clip:
    """Parse a `voxrig.clip` JSON object, with a specific error for each way it can be wrong."""
    if not isinstance(data, dict):
        raise ClipFormatError("a clip must be a JSON object")
    if data.get("format") != FORMAT:
        raise ClipFormatError(f"not a voxrig clip: format is {data.get('format')!r}, "
                              f"expected {FORMAT!r}")
    if data.get("version") != VERSION:
        raise ClipFormatError(f"unsupported clip version {data.get('version')!r} "
                              f"(this voxrig reads version {VERSION})")
    for key in ("fps", "frame_count", "channels", "weights"):
        if key not in data:
            raise ClipFormatError(f"clip is missing the {key!r} field")
    weights = _array(data["weights"], "weights")
    if weights.ndim != 2:
        raise ClipFormatError("weights must be a list of frames, each a list of numbers")
    if data["frame_count"] != weights.shape[0]:
        raise ClipFormatError(f"frame_count is {data['frame_count']} but weights has "
                              f"{weights.shape[0]} frames")
    fps = data["fps"]
    if not isinstance(fps, int | float) or isinstance(fps, bool):
        raise ClipFormatError(f"fps must be a number, got {fps!r}")
    kwargs: dict[str, Any] = {
        "fps": fps,
        "weights": weights,
        "channels": tuple(data["channels"]),
        "duration": data.get("duration"),
        "meta": data.get("meta") or {},
    }
    if "keypoints" in data:
        kp = data["keypoints"]
        expected = {"layout": "multipie68", "units": "cm", "kind": "displacement"}
        for key, value in expected.items():
            if not isinstance(kp, dict) or kp.get(key) != value:
                raise ClipFormatError(f"keypoints.{key} must be {value!r}")
        kwargs["keypoints"] = _array(kp.get("frames"), "keypoints.frames")
    if "visemes" in data:
        vis = data["visemes"]
        if not isinstance(vis, dict) or vis.get("set") != "ovr15":
            raise ClipFormatError("visemes.set must be 'ovr15'")
        kwargs["viseme_names"] = tuple(vis.get("names") or OVR15)
        kwargs["visemes"] = _array(vis.get("weights"), "visemes.weights")
    if "head" in data:
        kwargs["head"] = _array(data["head"].get("frames"), "head.frames")
    if "emotion" in data:
        kwargs["emotion_names"] = tuple(data["emotion"].get("names") or ())
        kwargs["emotion"] = _array(data["emotion"].get("weights"), "emotion.weights")
    return Clip(**kwargs)


def _array(value: Any, name: str) -> np.ndarray:
    try:
        return np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError):
        raise ClipFormatError(f"{name} must be a rectangular array of numbers") from None
