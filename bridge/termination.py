"""SIGTERM and SIGHUP as an exception, so a command asked to stop (by `kill`, a service
manager, a closed terminal) unwinds like Ctrl-C: `finally` blocks run and temporary files of
unfinished writes are removed. The default action would end the process on the spot."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class Terminated(BaseException):
    """The process was asked to stop. A BaseException, like KeyboardInterrupt, so that code
    catching Exception does not swallow it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextmanager
def signals_raise() -> Iterator[None]:
    """While the block runs, SIGTERM / SIGHUP raise Terminated in the main thread. A second
    signal during the unwinding is ignored (kill -9 still ends it); a forked child that
    inherited the handler ends as the signal's default action would (pool workers are
    stopped with SIGTERM, and must not unwind the parent's code)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    owner = os.getpid()

    def handler(signum: int, frame: object) -> None:
        if os.getpid() != owner:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        for each in SIGNALS:
            signal.signal(each, signal.SIG_IGN)
        raise Terminated(signum)

    previous = {each: signal.signal(each, handler) for each in SIGNALS}
    try:
        yield
    finally:
        for each, action in previous.items():
            signal.signal(each, action)
