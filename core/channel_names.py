"""Channel names as a receiving app spells them: ARKit camelCase (`jawOpen`), PascalCase
(`JawOpen`, Unity / Unreal rigs), VRCFaceTracking's Unified Expressions parameters
(`FT/v2/JawOpen`, VRChat avatars), or a user's mapping file.

The mapping file is plain JSON, shared by every part of voxrig that renames channels (the
stream command now, the Blender add-on later):

    {"format": "voxrig.mapping", "version": 1,
     "names": {"jawOpen": "Mouth_Open", "mouthClose": "Lips_Seal", "tongueOut": null},
     "others": "keep"}

`names` maps ARKit channel names to the receiver's names; `null` leaves a channel out.
`others` says what happens to channels not listed: "keep" their ARKit name (the default) or
"drop" them. Every problem with a file is a `MappingError` with one line naming the file.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import VoxrigError, shown
from .names import ARKIT52, ARKIT_INDEX
from .userfile import read_json

MAPPING_FORMAT = "voxrig.mapping"
MAPPING_VERSION = 1
STYLES = ("arkit", "pascal", "vrcft")

# VRCFaceTracking's Unified Expressions names for ARKit shapes (docs.vrcft.io: "Tracking
# Standard Comparison" and "Parameters"); VRChat avatars made for face tracking expose them as
# float parameters `FT/v2/<Name>`. ARKit's eye blink and look channels become the combined
# EyeLid / EyeX / EyeY parameters there, which voxrig does not drive, so they are left out.
UNIFIED: dict[str, str | None] = {
    "eyeBlinkLeft": None, "eyeLookDownLeft": None, "eyeLookInLeft": None,
    "eyeLookOutLeft": None, "eyeLookUpLeft": None, "eyeSquintLeft": "EyeSquintLeft",
    "eyeWideLeft": "EyeWideLeft", "eyeBlinkRight": None, "eyeLookDownRight": None,
    "eyeLookInRight": None, "eyeLookOutRight": None, "eyeLookUpRight": None,
    "eyeSquintRight": "EyeSquintRight", "eyeWideRight": "EyeWideRight",
    "jawForward": "JawForward", "jawLeft": "JawLeft", "jawRight": "JawRight",
    "jawOpen": "JawOpen", "mouthClose": "MouthClosed", "mouthFunnel": "LipFunnel",
    "mouthPucker": "LipPucker", "mouthLeft": "MouthLeft", "mouthRight": "MouthRight",
    "mouthSmileLeft": "MouthSmileLeft", "mouthSmileRight": "MouthSmileRight",
    "mouthFrownLeft": "MouthFrownLeft", "mouthFrownRight": "MouthFrownRight",
    "mouthDimpleLeft": "MouthDimpleLeft", "mouthDimpleRight": "MouthDimpleRight",
    "mouthStretchLeft": "MouthStretchLeft", "mouthStretchRight": "MouthStretchRight",
    "mouthRollLower": "LipSuckLower", "mouthRollUpper": "LipSuckUpper",
    "mouthShrugLower": "MouthRaiserLower", "mouthShrugUpper": "MouthRaiserUpper",
    "mouthPressLeft": "MouthPressLeft", "mouthPressRight": "MouthPressRight",
    "mouthLowerDownLeft": "MouthLowerDownLeft", "mouthLowerDownRight": "MouthLowerDownRight",
    "mouthUpperUpLeft": "MouthUpperUpLeft", "mouthUpperUpRight": "MouthUpperUpRight",
    "browDownLeft": "BrowDownLeft", "browDownRight": "BrowDownRight",
    "browInnerUp": "BrowInnerUp", "browOuterUpLeft": "BrowOuterUpLeft",
    "browOuterUpRight": "BrowOuterUpRight", "cheekPuff": "CheekPuffSuck",
    "cheekSquintLeft": "CheekSquintLeft", "cheekSquintRight": "CheekSquintRight",
    "noseSneerLeft": "NoseSneerLeft", "noseSneerRight": "NoseSneerRight",
    "tongueOut": "TongueOut",
}  # fmt: skip
VRCFT_PREFIX = "FT/v2/"


class MappingError(VoxrigError):
    """A name style or mapping file cannot be used."""


@dataclass(frozen=True)
class NameMap:
    """The receiver's name for each ARKit-52 channel, in canonical order; None = not sent."""

    names: tuple[str | None, ...]
    source: str  # the style name or the mapping file it came from

    def sent(self) -> list[tuple[int, str]]:
        """(channel index, receiver name) of the channels that are sent."""
        return [(i, n) for i, n in enumerate(self.names) if n is not None]


def pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


def style_names(style: str) -> NameMap:
    """One of the built-in styles: arkit, pascal or vrcft."""
    if style == "arkit":
        return NameMap(ARKIT52, style)
    if style == "pascal":
        return NameMap(tuple(pascal(n) for n in ARKIT52), style)
    if style == "vrcft":
        names = tuple(None if UNIFIED[n] is None else VRCFT_PREFIX + UNIFIED[n] for n in ARKIT52)
        return NameMap(names, style)
    raise MappingError(f"unknown name style {style!r}; use one of {', '.join(STYLES)} "
                       "or a mapping file (.json)")


def resolve_names(spec: str) -> NameMap:
    """A style name, or the path of a mapping file."""
    if spec in STYLES:
        return style_names(spec)
    if spec.lower().endswith(".json") or Path(spec).exists():
        return load_mapping(spec)
    return style_names(spec)


def load_mapping(path: str | Path) -> NameMap:
    """A mapping file, checked: see the module docstring for the format."""
    where = f"mapping file {str(path)!r}"
    return parse_mapping(read_json(path, where, MappingError), where, str(path))


def parse_mapping(data: Any, where: str = "mapping", source: str = "<mapping>") -> NameMap:
    """A mapping given as the decoded JSON object."""
    if not isinstance(data, dict):
        raise MappingError(f"{where}: expected a JSON object with \"format\": "
                           f"\"{MAPPING_FORMAT}\"")
    if data.get("format") != MAPPING_FORMAT:
        raise MappingError(f"{where}: \"format\" must be \"{MAPPING_FORMAT}\", "
                           f"got {shown(data.get('format'))}")
    if data.get("version") != MAPPING_VERSION:
        raise MappingError(f"{where}: unsupported version {shown(data.get('version'))} "
                           f"(this voxrig reads version {MAPPING_VERSION})")
    unknown_keys = sorted(set(data) - {"format", "version", "names", "others"})
    if unknown_keys:
        raise MappingError(f"{where}: unknown key {shown(unknown_keys[0])} "
                           "(expected format, version, names, others)")
    names = data.get("names")
    if not isinstance(names, dict):
        raise MappingError(f"{where}: \"names\" must be an object of ARKit name -> name")
    others = data.get("others", "keep")
    if others not in ("keep", "drop"):
        raise MappingError(f"{where}: \"others\" must be \"keep\" or \"drop\", got {shown(others)}")
    out: list[str | None] = list(ARKIT52) if others == "keep" else [None] * len(ARKIT52)
    for channel, target in names.items():
        if channel not in ARKIT_INDEX:
            close = difflib.get_close_matches(channel, ARKIT52, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise MappingError(f"{where}: {shown(channel)} is not an ARKit-52 channel{hint}")
        if target is not None and (not isinstance(target, str) or not target.strip()):
            raise MappingError(f"{where}: the name for {channel!r} must be a non-empty "
                               f"string or null, got {shown(target)}")
        out[ARKIT_INDEX[channel]] = target
    seen: dict[str, str] = {}
    for channel, target in zip(ARKIT52, out, strict=True):
        if target is None:
            continue
        if target in seen:
            raise MappingError(f"{where}: {seen[target]!r} and {channel!r} both map to "
                               f"{shown(target)}")
        seen[target] = channel
    if not seen:
        raise MappingError(f"{where}: no channel is left to send")
    return NameMap(tuple(out), source)


def mapping_to_dict(names: NameMap) -> dict[str, Any]:
    """The mapping file object for `names` (every channel listed, so it reads on its own)."""
    return {
        "format": MAPPING_FORMAT,
        "version": MAPPING_VERSION,
        "names": dict(zip(ARKIT52, names.names, strict=True)),
        "others": "drop",
    }
