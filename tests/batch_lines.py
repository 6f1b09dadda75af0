"""Real short lines for the batch tests (a helper module, not a test file): the folder
`voxrig batch` reads and the bytes a single bake of each line writes, which batch must equal."""

from __future__ import annotations

import shutil
from pathlib import Path

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
