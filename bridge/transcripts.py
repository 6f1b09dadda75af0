"""The transcript a user gives on the command line: a UTF-8 file or inline text."""

from __future__ import annotations

from pathlib import Path

from voxrig.core.errors import TranscriptError


def transcript_from(text_file: str | None, inline: str | None) -> str | None:
    """The transcript from `--text FILE` or `--transcript TEXT` (None when neither is
    given), with a one-line error for a missing, unreadable or empty one."""
    if text_file:
        return _read(text_file)
    if inline is not None and not inline.strip():
        raise TranscriptError("the transcript is empty (leave it out to recognise the phones)")
    return inline


def _read(path_text: str) -> str:
    path = Path(path_text)
    if not path.is_file():
        raise TranscriptError(f"cannot read transcript {path_text!r}: file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TranscriptError(f"transcript {path_text!r} is not UTF-8 text") from None
    except OSError as exc:
        raise TranscriptError(f"cannot read transcript {path_text!r}: {exc.strerror}") from None
    if not text.strip():
        raise TranscriptError(f"transcript {path_text!r} is empty")
    return text
