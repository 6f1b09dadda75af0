"""Reading and writing clip files (JSON, CSV). Every write is atomic: a crash or a full disk
never leaves a half-written file where the user's file was."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import BinaryIO

import numpy as np

from voxrig.core.clip import FLOAT32_MAX, FORMAT, Clip, check_channel_names, from_dict, to_dict
from voxrig.core.errors import ClipFormatError, VoxrigError
from voxrig.core.userfile import MAX_CLIP_BYTES, parse_json, read_text

from .atomic import atomic_output

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


# `export` holds the clip it reads as Python numbers first (about 8 times the file) and some
# exporters a text many times the clip: past this a 2-hour export would take gigabytes.
MAX_EXPORT_BYTES = 32 * 1024 * 1024  # about 45 minutes at 30 fps with visemes
ROWS_PER_BLOCK = 2000  # frames serialised at a time: a 2-hour clip never becomes one string


def clip_to_json(clip: Clip) -> bytes:
    out = io.BytesIO()
    write_json(clip, out)
    return out.getvalue()


def clip_to_csv(clip: Clip) -> bytes:
    out = io.BytesIO()
    write_csv(clip, out)
    return out.getvalue()


def write_json(clip: Clip, handle: BinaryIO) -> None:
    """Write the clip's JSON (the bytes of `json.dumps(to_dict(clip))`, compact) to `handle`,
    its arrays a block of frames at a time: as Python lists a long clip's numbers take ten
    times the memory of the clip itself."""
    arrays: list[tuple[np.ndarray, int]] = []

    def deferred(array: np.ndarray, decimals: int) -> str:
        arrays.append((array, decimals))
        return _ARRAY_MARK

    skeleton = json.dumps(to_dict(clip, deferred), separators=(",", ":"))
    pieces = skeleton.split(json.dumps(_ARRAY_MARK))
    handle.write(pieces[0].encode("utf-8"))
    for (array, decimals), after in zip(arrays, pieces[1:], strict=True):
        handle.write(b"[")
        for start in range(0, len(array), ROWS_PER_BLOCK):
            rows = np.round(array[start : start + ROWS_PER_BLOCK].astype(np.float64), decimals)
            text = json.dumps(rows.tolist(), separators=(",", ":"))[1:-1]
            handle.write((b"," if start else b"") + text.encode("utf-8"))
        handle.write(b"]" + after.encode("utf-8"))


_ARRAY_MARK = "\x00voxrig array\x00"  # stands for an array in the skeleton; no clip holds it


def write_csv(clip: Clip, handle: BinaryIO) -> None:
    """`time,<channel names>` then one row per frame; viseme columns follow as `viseme_<name>`
    when the clip has visemes. Written a block of frames at a time."""
    header = ["time", *clip.channels]
    columns = [clip.times[:, None], clip.weights]
    if clip.visemes is not None:
        header += [f"viseme_{name}" for name in clip.viseme_names]
        columns.append(clip.visemes)
    handle.write((",".join(header) + "\n").encode("utf-8"))
    for start in range(0, clip.frame_count, ROWS_PER_BLOCK):
        block = slice(start, start + ROWS_PER_BLOCK)
        table = np.hstack([c[block].astype(np.float64) for c in columns])
        out = io.StringIO()
        np.savetxt(out, table, fmt="%.5f", delimiter=",")
        handle.write(out.getvalue().encode("utf-8"))


def save_clip(clip: Clip, path: str | Path, kind: str | None = None) -> None:
    """Write `clip` to `path` as JSON or CSV (`kind`, default by extension), atomically and
    block by block."""
    write = write_json if (kind or format_for(path)) == "json" else write_csv
    with atomic_output(path) as tmp, open(tmp, "wb") as handle:
        write(clip, handle)


def check_exportable(path: str | Path) -> None:
    """Refuse a clip too large for `export` in one line, before any of it is read."""
    try:
        size = Path(path).stat().st_size
    except OSError:
        return  # load_clip says what is wrong with the path
    if size > MAX_EXPORT_BYTES:
        raise ClipFormatError(
            f"{str(path)!r} is too large to export ({size / 1024**2:.1f} MB; export reads "
            f"clips up to {MAX_EXPORT_BYTES // 1024**2} MB, about 45 minutes at 30 fps): "
            f"bake the audio in shorter pieces"
        )


def load_clip(path: str | Path) -> Clip:
    """Read a `voxrig.clip` JSON file (or a voxrig CSV: weights only); anything wrong with it
    is a ClipFormatError naming the file."""
    path = Path(path)
    where = repr(str(path))
    text = read_text(path, where, ClipFormatError, MAX_CLIP_BYTES)
    try:
        if path.suffix.lower() == ".csv":
            return _clip_from_csv(text, where)
        return from_dict(parse_json(text, where, ClipFormatError))
    except ClipFormatError as exc:
        message = str(exc)
        raise ClipFormatError(message if message.startswith(where) else f"{where}: {message}") \
            from None


def _clip_from_csv(text: str, where: str) -> Clip:
    """A CSV voxrig wrote: `time,<ARKit names>[,viseme_<name>...]`, frames at a steady rate."""
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise ClipFormatError(f"{where} is not a readable CSV ({exc})") from None
    if not rows or rows[0][:1] != ["time"]:
        raise ClipFormatError(f"{where} is not a voxrig CSV (first column must be 'time')")
    header = rows[0]
    try:
        table = np.array([[float(v) for v in row] for row in rows[1:] if row], dtype=np.float64)
    except ValueError:
        raise ClipFormatError(f"{where} has a value that is not a number") from None
    if table.ndim != 2 or table.shape[0] < 1 or table.shape[1] != len(header):
        raise ClipFormatError(f"{where} has rows that do not match its header")
    if not np.all(np.isfinite(table)):
        frame = int(np.flatnonzero(~np.all(np.isfinite(table), axis=1))[0]) + 1
        raise ClipFormatError(f"{where} has a NaN or infinite value (frame {frame})")
    if table.shape[1] > 1 and np.abs(table[:, 1:]).max() > FLOAT32_MAX:
        raise ClipFormatError(f"{where} has a weight far outside [0, 1]")
    fps = _csv_fps(table[:, 0], where)
    channel_cols = [i for i, name in enumerate(header) if i and not name.startswith("viseme_")]
    viseme_cols = [i for i, name in enumerate(header) if name.startswith("viseme_")]
    visemes: dict = {}
    if viseme_cols:
        visemes = {
            "visemes": table[:, viseme_cols],
            "viseme_names": tuple(header[i][len("viseme_"):] for i in viseme_cols),
        }
    return Clip(
        fps=fps,
        weights=table[:, channel_cols],
        channels=check_channel_names(tuple(header[i] for i in channel_cols)),
        meta={"read_from": "csv"},
        **visemes,
    )


def _csv_fps(times: np.ndarray, where: str) -> float:
    """The frame rate of the time column, which must rise by the same step every row."""
    if len(times) < 2:
        return 30.0
    steps = np.diff(times)
    if np.any(steps <= 0):
        frame = int(np.flatnonzero(steps <= 0)[0]) + 2
        raise ClipFormatError(f"{where}: the time column must increase from frame to frame "
                              f"(frame {frame} is at or before frame {frame - 1})")
    return round(1.0 / float(np.median(steps)), 3)


def is_voxrig_output(path: str | Path) -> bool:
    """True if `path` holds a file voxrig wrote (so re-baking over it loses nothing)."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(200).decode("utf-8", errors="replace")
    except OSError:
        return False
    return f'"format":"{FORMAT}"' in head.replace(" ", "") or head.startswith("time,")
