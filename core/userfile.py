"""Reading a text or JSON file the user handed voxrig (clip, transcript, emotion timeline, name
mapping): every way it can be unusable - missing, a folder, unreadable, too big, not UTF-8, not
JSON, nested too deeply - becomes one line naming the file, in the reader's own error type."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import numpy as np

from .errors import VoxrigError

MB = 1024 * 1024
# Transcripts, emotion timelines and name mappings: 4 hours of speech is ~0.2 MB of text.
MAX_TEXT_BYTES = 16 * MB
# Clips: a 4-hour bake at 30 fps with visemes and keypoints is about 1 GB of JSON.
MAX_CLIP_BYTES = 1024 * MB
# No voxrig file nests deeper than 5 ([frames][landmarks][xyz] inside an object); deep
# nesting would otherwise end in Python's recursion limit inside the JSON parser.
MAX_JSON_DEPTH = 64

_SLICE = 4 * MB  # characters scanned at a time by nesting_depth
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def check_readable(path: str | Path, where: str, error: type[VoxrigError],
                   kind: str = "a file") -> os.stat_result:
    """The file's status, or one line saying why it cannot be read: shared by the readers
    here, the audio reader and the live text feed, which checks before it opens (a named
    pipe's open waits). `kind` is what a directory was expected to be ("an audio file")."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise error(f"cannot read {where}: file not found") from None
    except PermissionError:
        raise error(f"cannot read {where}: permission denied") from None
    except OSError as exc:
        raise error(f"cannot read {where}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(status.st_mode):
        raise error(f"cannot read {where}: it is a directory, not {kind}")
    if not os.access(path, os.R_OK):
        raise error(f"cannot read {where}: permission denied")
    return status


def read_text(path: str | Path, where: str, error: type[VoxrigError],
              limit: int = MAX_TEXT_BYTES) -> str:
    """The UTF-8 text of `path`; `where` names the file in messages ("transcript 'a.txt'")."""
    size = check_readable(path, where, error).st_size
    if size > limit:
        raise error(f"{where} is too large ({size / MB:.1f} MB; voxrig reads at most "
                    f"{limit / MB:g} MB here)")
    try:
        data = Path(path).read_bytes()
    except PermissionError:
        raise error(f"cannot read {where}: permission denied") from None
    except OSError as exc:  # vanished or failed between the check and the read
        raise error(f"cannot read {where}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{where} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                    f"{exc.start})") from None


def parse_json(text: str, where: str, error: type[VoxrigError]) -> Any:
    """The decoded JSON document, refused before parsing when it nests too deeply."""
    if not text.strip():
        raise error(f"{where} is empty")
    if nesting_depth(text) > MAX_JSON_DEPTH:
        raise error(f"{where} is nested too deeply (more than {MAX_JSON_DEPTH} levels of "
                    "[ ] and { }); it is not a voxrig file")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"{where} is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except ValueError:  # Python's own limit: integers of more than 4300 digits
        raise error(f"{where} is not valid JSON (a number with thousands of digits)") from None
    except RecursionError:  # below MAX_JSON_DEPTH on any sane recursion limit; kept as a net
        raise error(f"{where} is nested too deeply") from None


def read_json(path: str | Path, where: str, error: type[VoxrigError],
              limit: int = MAX_TEXT_BYTES) -> Any:
    """`read_text` then `parse_json`."""
    return parse_json(read_text(path, where, error, limit), where, error)


def nesting_depth(text: str) -> int:
    """How deeply [ ] and { } nest outside JSON strings, read in slices so a large clip costs
    a few MB more, not three copies of itself. A string cut by a slice's end has its brackets
    counted: that can only overstate the depth of a file no voxrig writer makes."""
    level = deepest = 0
    for start in range(0, len(text), _SLICE):
        bare = _STRING.sub('""', text[start:start + _SLICE]).encode("utf-8", errors="replace")
        codes = np.frombuffer(bare, dtype=np.uint8)
        brackets = codes[(codes == 91) | (codes == 93) | (codes == 123) | (codes == 125)]
        if brackets.size:  # [ ] { } are 91 93 123 125
            levels = level + np.cumsum(np.where((brackets == 91) | (brackets == 123), 1, -1))
            deepest, level = max(deepest, int(levels.max())), int(levels[-1])
    return deepest
