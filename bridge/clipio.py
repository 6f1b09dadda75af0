"""Reading and writing clip files (JSON, CSV). Every write is atomic: a crash or a full disk
never leaves a half-written file where the user's file was."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np

from voxrig.core.clip import FORMAT, Clip, from_dict, to_dict
from voxrig.core.errors import ClipFormatError, VoxrigError

from .atomic import write_atomic

FORMATS = ("json", "csv")


def format_for(path: str | Path) -> str:
    """The clip format a file name asks for, by its extension."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise VoxrigError(
            f"cannot write {str(path)!r}: unknown output format {('.' + suffix)!r} "
            f"(use .json or .csv)"
        )
    return suffix


def clip_to_json(clip: Clip) -> bytes:
    return json.dumps(to_dict(clip), separators=(",", ":")).encode("utf-8")


def clip_to_csv(clip: Clip) -> bytes:
    """`time,<channel names>` then one row per frame; viseme columns follow as `viseme_<name>`
    when the clip has visemes."""
    header = ["time", *clip.channels]
    columns = [clip.times[:, None], clip.weights]
    if clip.visemes is not None:
        header += [f"viseme_{name}" for name in clip.viseme_names]
        columns.append(clip.visemes)
    table = np.hstack([c.astype(np.float64) for c in columns])
    out = io.StringIO()
    out.write(",".join(header) + "\n")
    np.savetxt(out, table, fmt="%.5f", delimiter=",")
    return out.getvalue().encode("utf-8")


def save_clip(clip: Clip, path: str | Path) -> None:
    """Write `clip` to `path` as JSON or CSV (by extension), atomically."""
    kind = format_for(path)
    write_atomic(path, clip_to_json(clip) if kind == "json" else clip_to_csv(clip))


def load_clip(path: str | Path) -> Clip:
    """Read a `voxrig.clip` JSON file (or a voxrig CSV: weights only) with clear errors."""
    path = Path(path)
    if not path.is_file():
        raise VoxrigError(f"cannot read {str(path)!r}: file not found")
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix.lower() == ".csv":
        return _clip_from_csv(text, path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ClipFormatError(f"{str(path)!r} is not valid JSON ({exc.msg} at line "
                              f"{exc.lineno})") from None
    try:
        return from_dict(data)
    except ClipFormatError as exc:
        raise ClipFormatError(f"{str(path)!r}: {exc}") from None


def _clip_from_csv(text: str, path: Path) -> Clip:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or rows[0][:1] != ["time"]:
        raise ClipFormatError(f"{str(path)!r} is not a voxrig CSV (first column must be 'time')")
    header = rows[0]
    try:
        table = np.array([[float(v) for v in row] for row in rows[1:] if row], dtype=np.float64)
    except ValueError:
        raise ClipFormatError(f"{str(path)!r} has a value that is not a number") from None
    if table.shape[0] < 1 or table.shape[1] != len(header):
        raise ClipFormatError(f"{str(path)!r} has rows that do not match its header")
    times = table[:, 0]
    fps = 1.0 / float(np.median(np.diff(times))) if len(times) > 1 else 30.0
    channel_cols = [i for i, name in enumerate(header) if i and not name.startswith("viseme_")]
    viseme_cols = [i for i, name in enumerate(header) if name.startswith("viseme_")]
    visemes: dict = {}
    if viseme_cols:
        visemes = {
            "visemes": table[:, viseme_cols],
            "viseme_names": tuple(header[i][len("viseme_"):] for i in viseme_cols),
        }
    return Clip(
        fps=round(fps, 3),
        weights=table[:, channel_cols],
        channels=tuple(header[i] for i in channel_cols),
        meta={"read_from": "csv"},
        **visemes,
    )


def is_voxrig_output(path: str | Path) -> bool:
    """True if `path` holds a file voxrig wrote (so re-baking over it loses nothing)."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(200).decode("utf-8", errors="replace")
    except OSError:
        return False
    return f'"format":"{FORMAT}"' in head.replace(" ", "") or head.startswith("time,")
