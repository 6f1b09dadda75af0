"""The transcript a user gives on the command line: a UTF-8 file or inline text."""

from __future__ import annotations

from voxrig.core.emotion.tags import parse_tags
from voxrig.core.errors import TranscriptError, VoxrigError
from voxrig.core.userfile import read_text


def transcript_from(text_file: str | None, inline: str | None) -> str | None:
    """The transcript from `--text FILE` or `--transcript TEXT` (None when neither is
    given), with a one-line error for a missing, unreadable or empty one."""
    if text_file:
        return _read(text_file)
    if inline is not None and not inline.strip():
        raise TranscriptError("the transcript is empty (leave it out to recognise the phones)")
    return inline


def _read(path_text: str) -> str:
    where = f"transcript {path_text!r}"
    text = read_text(path_text, where, TranscriptError)
    if not text.strip():
        raise TranscriptError(f"{where} is empty")
    try:
        parse_tags(text)  # a bad [emotion] tag is named with its file now, not mid-bake
    except VoxrigError as exc:
        raise TranscriptError(f"{where}: {exc}") from None
    return text
