"""Rhubarb Lip Sync compatible mouth cues (shapes A-H, X), laid out exactly as Rhubarb's own
`-f json` and `-f tsv` exports so tools that read Rhubarb output read these unchanged.
Times are in seconds with two decimals (Rhubarb works in centiseconds)."""

from __future__ import annotations

import json
import re

from voxrig.core.clip import Clip
from voxrig.core.mouth_shapes import MouthCue, mouth_cues

from .options import ExportOptions


def centisecond_cues(clip: Clip) -> list[tuple[int, int, str]]:
    """Cues on Rhubarb's centisecond grid: (start, end, shape), contiguous, none empty."""
    out: list[tuple[int, int, str]] = []
    for cue in mouth_cues(clip):
        start, end = _cs(cue.start), _cs(cue.end)
        if end <= start:
            continue
        if out and out[-1][1] != start:
            start = out[-1][1]
        if out and out[-1][2] == cue.shape:
            out[-1] = (out[-1][0], end, cue.shape)
        else:
            out.append((start, end, cue.shape))
    return out or [(0, _cs(float(clip.duration)), "X")]  # as Rhubarb: never an empty list


def write_json(clip: Clip, options: ExportOptions) -> bytes:
    cues = centisecond_cues(clip)
    sound = options.sound_file or str(clip.meta.get("source", ""))
    lines = [
        "{",
        '  "metadata": {',
        f'    "soundFile": {json.dumps(sound)},',
        f'    "duration": {_fmt(_cs(float(clip.duration)))}',
        "  },",
        '  "mouthCues": [',
        ",\n".join(f'    {{ "start": {_fmt(a)}, "end": {_fmt(b)}, "value": "{s}" }}'
                   for a, b, s in cues),
        "  ]",
        "}",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_tsv(clip: Clip, options: ExportOptions) -> bytes:
    """`start<TAB>shape` per cue, then the end time with X (the mouth closing at the end)."""
    cues = centisecond_cues(clip)
    lines = [f"{_fmt(a)}\t{s}" for a, _, s in cues] + [f"{_fmt(cues[-1][1])}\tX"]
    return ("\n".join(lines) + "\n").encode("utf-8")


def looks_like_json(head: bytes) -> bool:
    return head.startswith(b'{\n  "metadata": {\n    "soundFile": ')


def looks_like_tsv(head: bytes) -> bool:
    return re.match(rb"\d+\.\d\d\t[A-HX]\n", head) is not None


def _cs(seconds: float) -> int:
    return int(round(seconds * 100.0))


def _fmt(centiseconds: int) -> str:
    return f"{centiseconds // 100}.{centiseconds % 100:02d}"


__all__ = ["MouthCue", "centisecond_cues", "write_json", "write_tsv"]
