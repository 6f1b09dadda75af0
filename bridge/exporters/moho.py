"""Moho / Papagayo switch data (`.dat`): `MohoSwitch1`, then `frame shape` lines with 1-based
frame numbers at the clip's fps, one line where the mouth changes, using the Preston Blair
mouth names Papagayo and Moho switch layers use. A-H, X map to them as Rhubarb's own .dat
export does: A MBP, B etc, C E, D AI, E O, F U, G FV, H L, X rest (WQ is not used: W and
OO sounds share the puckered U mouth)."""

from __future__ import annotations

import math

from voxrig.core.clip import Clip
from voxrig.core.mouth_shapes import mouth_cues

from .options import ExportOptions

PRESTON_BLAIR: dict[str, str] = {
    "A": "MBP", "B": "etc", "C": "E", "D": "AI", "E": "O", "F": "U", "G": "FV", "H": "L",
    "X": "rest",
}  # fmt: skip


def frame_number(seconds: float, fps: float) -> int:
    """The 1-based frame a time falls in (frame 1 starts at 0 s)."""
    return 1 + int(math.floor(seconds * fps + 1e-6))


def write(clip: Clip, options: ExportOptions) -> bytes:
    lines = ["MohoSwitch1"]
    last = 0
    for cue in mouth_cues(clip):
        frame = frame_number(cue.start, clip.fps)
        if frame == last:  # two changes inside one frame: the later one wins
            lines[-1] = f"{frame} {PRESTON_BLAIR[cue.shape]}"
            continue
        lines.append(f"{frame} {PRESTON_BLAIR[cue.shape]}")
        last = frame
    end = max(frame_number(float(clip.duration), clip.fps), last + 1)
    if not lines[-1].endswith(" rest"):
        lines.append(f"{end} rest")
    return ("\n".join(lines) + "\n").encode("utf-8")


def looks_like(head: bytes) -> bool:
    return head.startswith(b"MohoSwitch1\n1 ")
