"""Real short lines for the batch tests (a helper module, not a test file): the folder
`voxrig batch` reads and the bytes a single bake of each line writes, which batch must equal,
and `same_clip`, what "equal" means for a bake done in another process or thread."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

from voxrig.bridge.exporters import EXPORTERS, ExportOptions
from voxrig.core.bake import bake
from voxrig.core.config import Config

LJSPEECH = Path(__file__).parents[2] / "shared" / "data" / "english" / "ljspeech"
SHORT = {"LJ001-0002": "in being comparatively modern.", "LJ001-0008": None}  # 1.9 s, 1.8 s
CORRUPT_WAV = b"RIFF\x10\x00\x00\x00WAVEfmt " + bytes(40)  # a header and no audio


def write_lines(folder: Path) -> Path:
    """`folder` with the two short lines (one with its transcript) and a corrupt file."""
    folder.mkdir()
    for stem, text in SHORT.items():
        shutil.copy(LJSPEECH / f"{stem}.flac", folder / f"{stem}.flac")
        if text:
            (folder / f"{stem}.txt").write_text(text + "\n", encoding="utf-8")
    (folder / "corrupt.wav").write_bytes(CORRUPT_WAV)
    return folder


def single_bake(audio: Path, transcript: str | None, output: str) -> bytes:
    """What `voxrig bake AUDIO [--text] -o OUTPUT` writes for a JSON output."""
    clip = bake(audio, transcript, Config())
    options = ExportOptions(name=output.split(".")[0], sound_file=str(audio))
    return EXPORTERS["json"].write(clip, options)


JSON_UNIT = 1e-5  # a clip JSON's numbers have 5 decimals


def same_clip(a: bytes | dict, b: bytes | dict) -> bool:
    """Whether two written clips say the same thing: the same keys, texts and shapes, and every
    number equal up to one unit of its last decimal. Not bytes: a bake in a Dask worker's thread
    wrote one weight of 1,400 as 0.09667 where the same bake in the test's own process wrote
    0.09666 (an AVX2 machine's float32 kernels), which no user can see or act on."""
    def close(x: Any, y: Any) -> bool:
        if isinstance(x, dict) and isinstance(y, dict):
            return x.keys() == y.keys() and all(close(x[k], y[k]) for k in x)
        if isinstance(x, list) and isinstance(y, list):
            return len(x) == len(y) and all(close(u, v) for u, v in zip(x, y, strict=True))
        if isinstance(x, float | int) and isinstance(y, float | int) and \
                not isinstance(x, bool) and not isinstance(y, bool):
            return math.isclose(x, y, rel_tol=0.0, abs_tol=1.5 * JSON_UNIT)
        return x == y
    return close(*(json.loads(v) if isinstance(v, bytes) else v for v in (a, b)))
