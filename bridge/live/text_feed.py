"""`--text-feed FILE|-`: lines of dialogue arriving while a stream runs (from a chatbot or a
TTS pipeline, a file, a named pipe or standard input), each handed to the live face the
moment it is read. A thread of its own: reading blocks until the next line comes."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import BinaryIO

from voxrig.core.errors import VoxrigError
from voxrig.core.userfile import check_readable


def check_feed(path: str) -> None:
    """A feed that cannot be read is one line before streaming starts (a named pipe is
    opened later, by the reader: opening one waits for its writer)."""
    if path == "-":
        return
    check_readable(path, f"text feed {path!r}", VoxrigError)


class TextFeed(threading.Thread):
    """Reads `path` ("-": standard input) line by line and calls `say(line)` for each
    non-empty one, until the input ends or the process does (a daemon thread)."""

    def __init__(self, path: str, say: Callable[[str], None]) -> None:
        super().__init__(name="voxrig-text-feed", daemon=True)
        self.path, self.say = path, say
        self.lines = 0  # lines said so far
        self.error: str | None = None  # why reading stopped early, if it did

    def _open(self) -> BinaryIO:
        return sys.stdin.buffer if self.path == "-" else open(self.path, "rb")  # noqa: SIM115

    def run(self) -> None:
        try:
            stream = self._open()
            for raw in stream:
                line = raw.decode("utf-8", errors="replace").strip()
                if line:
                    self.say(line)
                    self.lines += 1
        except OSError as exc:
            self.error = exc.strerror or str(exc)
