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
from typing import Any, TypeVar

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


def in_background(task: Callable[..., T], *args: Any) -> Callable[[], T]:
    """Start task(*args) in a forked process; the returned function waits for its result.
    Without fork the task runs when the result is first asked for."""
    if not can_fork():
        return lambda: task(*args)
    pool = multiprocessing.get_context("fork").Pool(1)
    pending = pool.apply_async(task, args)

    def result() -> T:
        try:
            return pending.get()
        finally:
            pool.terminate()
            pool.join()

    return result
