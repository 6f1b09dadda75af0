"""User overrides of the emotion: inline tags in the transcript (`[happy]`, `[angry:0.6]`,
`[neutral]`) and an emotion timeline file (`voxrig.emotion` JSON). Both become Segments."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import VoxrigError, shown
from ..names import SILENCE
from ..phones import Word
from ..userfile import read_json
from .text import EMOTIONS, tokenize

FORMAT = "voxrig.emotion"
_TAG = re.compile(r"\[\s*([A-Za-z]+)\s*(?::\s*([0-9]*\.?[0-9]+)\s*)?\]")


@dataclass(frozen=True)
class Segment:
    """From `start` to `end` seconds the face shows `emotion` at `intensity` in [0, 1]."""

    start: float
    end: float
    emotion: str
    intensity: float = 1.0


@dataclass(frozen=True)
class Tag:
    """An inline tag: it holds from the transcript word with index `word` onwards."""

    word: int
    emotion: str
    intensity: float


def parse_tags(transcript: str) -> tuple[str, list[Tag]]:
    """The transcript without its tags (what the aligner should hear) and the tags, each at
    the index of the first word after it."""
    tags: list[Tag] = []
    plain: list[str] = []
    position = 0
    for match in _TAG.finditer(transcript):
        name = match.group(1).lower()
        if name not in EMOTIONS:  # not an emotion ("[laughs]"): left for the text to handle
            continue
        plain.append(transcript[position:match.start()])
        value = float(match.group(2)) if match.group(2) else 1.0
        if not 0.0 <= value <= 1.0:
            raise VoxrigError(f"emotion tag intensity must be in [0, 1], got {match.group(0)}")
        tags.append(Tag(len(tokenize("".join(plain))), name, value))
        position = match.end()
    plain.append(transcript[position:])
    return re.sub(r"[ \t]{2,}", " ", "".join(plain)).strip(), tags


def tags_to_segments(tags: list[Tag], words: list[Word], duration: float) -> list[Segment]:
    """Place tags on the aligned words: a tag runs from its word's
    start to the next tag (or the end of the clip)."""
    if not tags:
        return []
    spoken = [w for w in words if w.text not in ("", "<sil>", SILENCE)]

    def start_of(index: int) -> float:
        if not spoken:
            return 0.0
        if index >= len(spoken):
            return spoken[-1].end
        return spoken[index].start if index > 0 else 0.0

    starts = [start_of(t.word) for t in tags]
    return [Segment(s, starts[i + 1] if i + 1 < len(tags) else duration, t.emotion,
                    t.intensity) for i, (t, s) in enumerate(zip(tags, starts, strict=True))]


def timeline_from_dict(data: Any, where: str = "emotion timeline") -> list[Segment]:
    """Parse a `voxrig.emotion` timeline with a specific error for each way it can be wrong;
    `where` starts every message (the file's name when it came from one)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise VoxrigError(f"{where} is not an emotion timeline: expected a JSON object with "
                          f"\"format\": \"{FORMAT}\"")
    if data.get("version", 1) != 1:
        raise VoxrigError(f"{where}: unsupported version {shown(data.get('version'))}")
    items = data.get("segments")
    if not isinstance(items, list):
        raise VoxrigError(f"{where} needs a \"segments\" list")
    out = []
    for i, item in enumerate(items):
        try:
            start, end = float(item["start"]), float(item["end"])
            emotion = item["emotion"]
            intensity = float(item.get("intensity", 1.0))
        except (KeyError, TypeError, ValueError, OverflowError, AttributeError):
            raise VoxrigError(f"{where}: segment {i} needs numeric start and end and an "
                              "emotion name") from None
        if not isinstance(emotion, str) or emotion.lower() not in EMOTIONS:
            raise VoxrigError(f"{where}: segment {i}: unknown emotion {shown(emotion)} "
                              f"(use one of {', '.join(EMOTIONS)})")
        if not (math.isfinite(start) and math.isfinite(end) and 0 <= start < end):
            raise VoxrigError(f"{where}: segment {i}: need 0 <= start < end")
        if not 0.0 <= intensity <= 1.0:
            raise VoxrigError(f"{where}: segment {i}: intensity must be in [0, 1]")
        out.append(Segment(start, end, emotion.lower(), intensity))
    return sorted(out, key=lambda s: s.start)


def timeline_to_dict(segments: list[Segment]) -> dict[str, Any]:
    return {"format": FORMAT, "version": 1,
            "segments": [{"start": s.start, "end": s.end, "emotion": s.emotion,
                          "intensity": s.intensity} for s in segments]}


def load_timeline(path: str | Path) -> list[Segment]:
    """The segments of an `--emotion` file; every problem is one line naming the file."""
    where = f"emotion timeline {str(path)!r}"
    return timeline_from_dict(read_json(path, where, VoxrigError), where)
