"""Work on the machine's other core: a forked process, where forking is possible and cheap.

A bake of long audio has stretches where one core waits (the aligner's serial steps, one
half of the audio taking longer than the other); work that needs only the audio (the voice's
pitch track) fills them. Forked children inherit what the parent has built (pocketsphinx
decoders, loaded models), so they start in milliseconds. Where there is no fork (Windows,
macOS's default) or the process may not have children (a batch runner's daemonic worker),
the work runs here, when its result is asked for."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def can_fork() -> bool:
    """Whether a forked helper process is possible here."""
    return ("fork" in multiprocessing.get_all_start_methods()
            and not multiprocessing.current_process().daemon)  # fmt: skip


def in_two_processes(task: Callable[..., T], here: tuple, there: tuple) -> tuple[T, T]:
    """task(*here) in this process while task(*there) runs in a forked one."""
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        pending = pool.apply_async(task, there)
        first = task(*here)
        return first, pending.get()


class Background(Generic[T]):
    """task(*args) started in a forked process when `fork` and forking is possible here;
    `result()` waits for it, `close()` drops it unheard (a bake that found no speech needs no
    voice analysis). Otherwise the task runs here, when its result is asked for."""

    def __init__(self, task: Callable[..., T], *args: Any, fork: bool = True) -> None:
        self._task, self._args = task, args
        self._pool = multiprocessing.get_context("fork").Pool(1) if fork and can_fork() else None
        self._pending = self._pool.apply_async(task, args) if self._pool is not None else None

    def result(self) -> T:
        if self._pending is None:
            return self._task(*self._args)
        try:
            return self._pending.get()
        finally:
            self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
