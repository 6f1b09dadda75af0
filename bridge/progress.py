"""A progress bar on stderr, shown only to a person at a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Call with (fraction, stage). Draws nothing unless the stream is a TTY and enabled."""

    def __init__(self, enabled: bool = True, stream: TextIO | None = None, width: int = 30):
        self.stream = stream or sys.stderr
        self.enabled = enabled and self.stream.isatty()
        self.width = width
        self.started = time.monotonic()
        self._drawn = False

    def __call__(self, fraction: float, stage: str) -> None:
        if not self.enabled:
            return
        fraction = min(max(fraction, 0.0), 1.0)
        filled = int(round(fraction * self.width))
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.monotonic() - self.started
        self.stream.write(f"\r[{bar}] {fraction * 100:3.0f}% {stage:<16} {elapsed:5.1f}s")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._drawn = False
