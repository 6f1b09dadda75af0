"""The clip: the one data structure that flows from producers (animators) to consumers (files,
OSC, Blender). Frame i is at time i / fps. This module also defines the `voxrig.clip` JSON
format (as plain dicts) and validates it; reading and writing files lives in voxrig.bridge."""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .errors import ClipFormatError, shown
from .names import ARKIT52, ARKIT_INDEX, OVR15

FORMAT = "voxrig.clip"
VERSION = 1
FLOAT32_MAX = float(np.finfo(np.float32).max)
MIN_FPS, MAX_FPS = 1.0, 1000.0


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


def span(times: np.ndarray, start: float, end: float) -> slice:
    """The frames of sorted `times` within [start, end]: an event (a blink, a nod, a
    closure) touches only its own frames, so a 2-hour clip costs as many operations as it
    has events, not events x frames."""
    return slice(int(np.searchsorted(times, start, "left")),
                 int(np.searchsorted(times, end, "right")))


def validate(clip: Clip) -> None:
    """Raise ClipFormatError with a specific message if the clip is inconsistent."""
    # below 1 fps a few frames span hours: exporters that write per centisecond (Rhubarb,
    # Moho) would make billions of cues
    if not (math.isfinite(clip.fps) and MIN_FPS <= clip.fps <= MAX_FPS):
        raise ClipFormatError(f"fps must be a number in [{MIN_FPS:g}, {MAX_FPS:g}], "
                              f"got {clip.fps:g}")
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
            f"{t} frames at {clip.fps:g} fps need a duration of at least "
            f"{(t - 1) / clip.fps:.6g} s, got {clip.duration:.6g} s"
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


def to_dict(clip: Clip, rounded: Callable[[np.ndarray, int], Any] = _rounded) -> dict[str, Any]:
    """The clip as a `voxrig.clip` version 1 JSON object. `rounded` turns each array into its
    JSON value (the streaming writer passes one that defers the arrays, see bridge/clipio)."""
    out: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "fps": clip.fps,
        "frame_count": clip.frame_count,
        "duration": round(float(clip.duration), 6),
        "channels": list(clip.channels),
        "weights": rounded(clip.weights, 5),
    }
    if clip.keypoints is not None:
        out["keypoints"] = {
            "layout": "multipie68",
            "units": "cm",
            "kind": "displacement",
            "frames": rounded(clip.keypoints, 5),
        }
    if clip.visemes is not None:
        out["visemes"] = {
            "set": "ovr15",
            "names": list(clip.viseme_names),
            "weights": rounded(clip.visemes, 5),
        }
    if clip.head is not None:
        out["head"] = {"order": ["pitch", "yaw", "roll"], "units": "degrees",
                       "frames": rounded(clip.head, 4)}
    if clip.emotion is not None:
        out["emotion"] = {"names": list(clip.emotion_names),
                          "weights": rounded(clip.emotion, 5)}
    out["meta"] = clip.meta
    return out


def from_dict(data: Any) -> Clip:
    """Parse a `voxrig.clip` JSON object, with a specific error for each way it can be wrong:
    every field's type is checked before it is used, so no document ends in a traceback."""
    if not isinstance(data, dict):
        raise ClipFormatError("a clip must be a JSON object")
    if data.get("format") != FORMAT:
        raise ClipFormatError(f"not a voxrig clip: format is {shown(data.get('format'))}, "
                              f"expected {FORMAT!r}")
    if data.get("version") != VERSION or isinstance(data.get("version"), bool):
        raise ClipFormatError(f"unsupported clip version {shown(data.get('version'))} "
                              f"(this voxrig reads version {VERSION})")
    for key in ("fps", "frame_count", "channels", "weights"):
        if key not in data:
            raise ClipFormatError(f"clip is missing the {key!r} field")
    channels = check_channel_names(_names(data["channels"], "channels"))
    if not channels:
        raise ClipFormatError("a clip needs at least one channel")
    weights = _array(data["weights"], "weights", 2)
    frame_count = data["frame_count"]
    if not _is_number(frame_count) or frame_count != weights.shape[0]:
        raise ClipFormatError(f"frame_count is {shown(frame_count)} but weights has "
                              f"{weights.shape[0]} frames")
    fps = _float(data["fps"], "fps must be a number")
    duration = data.get("duration")
    if duration is not None:
        duration = _float(duration, "duration must be a number of seconds")
    span = weights.shape[0] / fps if MIN_FPS <= fps <= MAX_FPS else None  # else: validate()
    if duration is not None and span is not None and duration > span + 1e-6:
        # frames at i / fps cover [0, duration]: a longer one would have exporters make up
        # (up to billions of) frames or cues that the clip does not have
        raise ClipFormatError(f"duration {duration:.6g} s is longer than its {weights.shape[0]} "
                              f"frames at {fps:g} fps cover (at most {span:.6g} s)")
    kwargs: dict[str, Any] = {
        "fps": fps,
        "weights": weights,
        "channels": channels,
        "duration": duration,
        "meta": _meta(data.get("meta")),
    }
    if "keypoints" in data:
        kp = data["keypoints"]
        expected = {"layout": "multipie68", "units": "cm", "kind": "displacement"}
        for key, value in expected.items():
            if not isinstance(kp, dict) or kp.get(key) != value:
                raise ClipFormatError(f"keypoints.{key} must be {value!r}")
        kwargs["keypoints"] = _array(kp.get("frames"), "keypoints.frames", 3)
    if "visemes" in data:
        vis = data["visemes"]
        if not isinstance(vis, dict) or vis.get("set") != "ovr15":
            raise ClipFormatError("visemes.set must be 'ovr15'")
        kwargs["viseme_names"] = _names(vis.get("names") or OVR15, "visemes.names")
        kwargs["visemes"] = _array(vis.get("weights"), "visemes.weights", 2)
    if "head" in data:
        kwargs["head"] = _array(_track(data, "head", "frames").get("frames"), "head.frames", 2)
    if "emotion" in data:
        emotion = _track(data, "emotion", "weights")
        kwargs["emotion_names"] = _names(emotion.get("names") or (), "emotion.names")
        kwargs["emotion"] = _array(emotion.get("weights"), "emotion.weights", 2)
    return Clip(**kwargs)


def check_channel_names(channels: tuple[str, ...]) -> tuple[str, ...]:
    """Channels of a clip file must be ARKit-52 names: exporters write each as a blendshape
    (`blendShape.<name>`), so a stray column such as "5" would drive nothing in any rig."""
    for name in channels:
        if name not in ARKIT_INDEX:
            close = difflib.get_close_matches(name, ARKIT52, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ClipFormatError(f"channel {shown(name)} is not an ARKit-52 blendshape "
                                  f"name{hint}")
    return channels


def _float(value: Any, requirement: str) -> float:
    """A JSON number as a float (true/false and integers beyond float's range are not)."""
    if _is_number(value):
        try:
            return float(value)
        except OverflowError:
            pass
    raise ClipFormatError(f"{requirement}, got {shown(value)}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _track(data: dict, name: str, inner: str) -> dict:
    value = data[name]
    if not isinstance(value, dict):
        raise ClipFormatError(f"{name} must be an object with \"{inner}\", got {shown(value)}")
    return value


def _names(value: Any, name: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ClipFormatError(f"{name} must be a list of names, got {shown(value)}")
    return tuple(value)


def _meta(value: Any) -> dict[str, Any]:
    """`meta` is free-form, but the keys exporters and plots read must have their types."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ClipFormatError(f"meta must be an object, got {shown(value)}")
    for key in ("phones", "words"):
        rows = value.get(key)
        if rows is None:
            continue
        if not isinstance(rows, list) or not all(_is_timed_row(r) for r in rows):
            raise ClipFormatError(f"meta.{key} must be a list of [label, start, end] rows "
                                  "with finite times")
    for key in ("source", "phone_source"):
        if key in value and not isinstance(value[key], str):
            raise ClipFormatError(f"meta.{key} must be a string, got {shown(value[key])}")
    warnings = value.get("warnings", [])
    if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
        raise ClipFormatError("meta.warnings must be a list of strings")
    return value


def _is_timed_row(row: Any) -> bool:
    return (isinstance(row, list) and len(row) >= 3 and isinstance(row[0], str)
            and all(_is_finite(t) for t in row[1:3]))


def _is_finite(value: Any) -> bool:
    try:
        return _is_number(value) and math.isfinite(value)
    except OverflowError:  # an integer of hundreds of digits
        return False


def _array(value: Any, name: str, ndim: int) -> np.ndarray:
    """A float32 array of `ndim` dimensions, checked finite and in float32's range first
    (a cast would otherwise warn and turn 1e300 into inf)."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError, OverflowError):
        array = np.asarray(None)  # ragged: reported below
    if array.dtype.kind not in "iuf":  # strings, true/false, objects, ragged lists
        raise ClipFormatError(f"{name} must be a rectangular array of numbers")
    array = array.astype(np.float64)
    if array.ndim != ndim:
        raise ClipFormatError(f"{name} must be a rectangular array of {ndim} dimensions, "
                              f"got {array.ndim}")
    if not np.all(np.isfinite(array)) or (array.size and np.abs(array).max() > FLOAT32_MAX):
        raise ClipFormatError(f"{name} contain NaN, infinite or out-of-range values")
    return array.astype(np.float32)
