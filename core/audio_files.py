"""Opening audio files and reading their samples, with every failure of the file or of
libsndfile turned into one ``AudioError`` line that names the file (docs/errors.md).

What the samples themselves say (silence, clipping, NaN, ...) is checked in
core/audio_checks.py; this module only gets them out of the file.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np
import soundfile as sf

from .errors import AudioError
from .headers import promised_frames
from .userfile import check_readable

MAX_SECONDS = 4 * 3600.0  # longest accepted input; longer files should be split
SUPPORTED = ("wav", "flac", "ogg", "opus", "mp3")
_KNOWN_EXTENSIONS = {
    ".wav": "WAV", ".wave": "WAV", ".flac": "FLAC", ".ogg": "Ogg", ".oga": "Ogg",
    ".opus": "Opus", ".mp3": "MP3", ".aif": "AIFF", ".aiff": "AIFF", ".aifc": "AIFF",
    ".au": "AU", ".snd": "AU", ".caf": "CAF", ".w64": "W64", ".rf64": "RF64",
}  # fmt: skip


def checked_path(path: str | Path) -> str:
    """The quoted name used in messages, after the checks that need no decoder (so a missing
    or empty file gets its own words, not libsndfile's)."""
    name = f"'{path}'"
    if check_readable(path, name, AudioError, kind="an audio file").st_size == 0:
        raise AudioError(f"cannot read {name}: the file is empty (0 bytes)")
    return name


@contextmanager
def open_audio(path: str | Path, name: str) -> Iterator[sf.SoundFile]:
    """The open file, closed on leaving; a file libsndfile refuses is one ``AudioError``."""
    try:
        with _quiet_stderr():
            f = sf.SoundFile(str(path))
    except (sf.LibsndfileError, RuntimeError) as e:
        raise AudioError(_open_failure(path, name, e)) from None
    try:
        yield f
    finally:
        f.close()


def check_length(f: sf.SoundFile, name: str) -> None:
    """Refuse a file over ``MAX_SECONDS`` from its header, before any decoding."""
    seconds = f.frames / f.samplerate
    if seconds > MAX_SECONDS:
        raise AudioError(
            f"cannot use {name}: it is too long ({seconds / 3600:.1f} hours; "
            f"the limit is {MAX_SECONDS / 3600:g} hours) - split it into shorter files"
        )


def declared_frames(path: str | Path, f: sf.SoundFile) -> int:
    """The length the file promises: libsndfile's count, or what a PCM header's data size
    says when that is more (libsndfile shortens a cut data chunk to what is there)."""
    return max(f.frames, promised_frames(path) or 0)


def read_blocks(f: sf.SoundFile, name: str, frames: int) -> Iterator[np.ndarray]:
    """(frames, channels) float32 blocks until the decoder has nothing more to give (a
    header's frame count can differ from what actually decodes, e.g. in mp3)."""
    while True:
        try:
            # Only around the decoder call: between blocks the caller may write to stderr.
            with _quiet_stderr() if f.format == "MP3" else nullcontext():
                block = f.read(frames, dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as e:
            at = f.tell() / f.samplerate if f.seekable() else 0.0
            reason = _libsndfile_reason(e)
            detail = f": {reason}" if reason else ""
            raise AudioError(
                f"cannot read {name}: decoding failed near {at:.2f} s (corrupt data{detail})"
            ) from None
        if len(block) == 0:
            return
        yield block


def _open_failure(path: str | Path, name: str, error: Exception) -> str:
    """Tell apart a text file, a damaged file of a known kind and an unknown format."""
    ext = Path(path).suffix.lower()
    kind = _KNOWN_EXTENSIONS.get(ext)
    with open(path, "rb") as fh:
        head = fh.read(512)
    if _looks_like_text(head):
        what = f"{kind} audio" if kind else "audio"
        return f"cannot read {name}: it is a text file, not {what}"
    if kind:
        reason = _libsndfile_reason(error)
        detail = f" ({reason})" if reason else ""
        return f"cannot read {name}: corrupt or truncated {kind} file{detail}"
    supported = ", ".join(SUPPORTED)
    if ext:
        return f"cannot read {name}: unsupported audio format '{ext}' (supported: {supported})"
    return f"cannot read {name}: unrecognised audio format (supported: {supported})"


def _libsndfile_reason(error: Exception) -> str:
    """libsndfile's own words when they add something; its generic codes (1-4: not
    recognised, system error, malformed, unsupported encoding; 7: "does not exist", which is
    misleading for a file that exists) say no more than our message already does."""
    code = getattr(error, "code", None)
    if code is None or code <= 4 or code == 7:
        return ""
    # LibsndfileError's public error_string is libsndfile's sf_error_number(code) text.
    text = sf.LibsndfileError(code).error_string.strip()
    text = re.sub(r"^error\s*:\s*", "", text, flags=re.IGNORECASE).rstrip(".")
    if not text or text.lower().startswith("no error"):
        return ""
    return text[0].lower() + text[1:]


def _looks_like_text(head: bytes) -> bool:
    """A transcript or note given where the audio goes deserves its own message."""
    if not head or b"\0" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(c.isprintable() or c in "\r\n\t" for c in text)


_stderr_lock = threading.Lock()


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    """libmpg123 writes notes about damaged frames straight to file descriptor 2; hide them
    so the user sees only voxrig's one-line message or warning."""
    with _stderr_lock:
        try:
            saved = os.dup(2)
        except OSError:  # no stderr at all (e.g. a GUI host): nothing to hide
            yield
            return
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, 2)
            finally:
                os.close(devnull)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
