"""Output files appear whole or not at all, and leave nothing behind.

Every file voxrig writes (clips, exports, plots, images, videos, mapping files) is written to
a hidden temporary file beside it, flushed to disk and renamed over the target, so a crash, a
full disk or a kill never leaves a half-written file where the user's file was. The temporary
file is removed on every exit the process controls (errors, Ctrl-C, SIGTERM: the CLI turns it
into an exception). A kill -9 cannot be caught, so each write first removes the temporary
files an earlier, dead run left for the same target.

Temporary name: `.<target name>.<pid>-<random>.tmp`. The writer's pid in the name tells a
leftover (its process is gone) from a write under way: two runs writing the same target at
once each keep their own temporary file, the later rename wins, and the target is always one
whole file. Earlier versions named it `.<target name>.<random>.tmp` (no pid); such a file is
removed once it has not changed for LEGACY_STALE_SECONDS. The pid test is per machine: a
target on a network share written from two machines at once relies on the age rule only.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from voxrig.core.errors import VoxrigError

TEMP_SUFFIX = ".tmp"
LEGACY_STALE_SECONDS = 60.0  # a pid-less temporary file unchanged this long is a leftover
PID_STALE_SECONDS = 24 * 3600.0  # ... and one whose pid lives on (reused after a reboot)


def temp_name(target: Path) -> str:
    """A fresh temporary name for `target`, in the one pattern `remove_stale` recognises."""
    return f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}{TEMP_SUFFIX}"


def _temp_pattern(target: Path) -> re.Pattern[str]:
    # pid-random (this version) or mkstemp's 8 characters (earlier versions)
    return re.compile(rf"\.{re.escape(target.name)}\.(?:(\d+)-[0-9a-f]{{8}}|[a-z0-9_]{{8}})"
                      rf"{re.escape(TEMP_SUFFIX)}")


def remove_stale(target: Path, now: float | None = None) -> list[Path]:
    """Remove the temporary files that dead writes to `target` left; returns them."""
    pattern = _temp_pattern(target)
    folder = target.parent if str(target.parent) else Path(".")
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
            if _is_leftover(match.group(1), age):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:  # gone meanwhile, or not ours to remove: leave it
            continue
    return removed


def _is_leftover(pid_text: str | None, age: float) -> bool:
    if pid_text is None:
        return age > LEGACY_STALE_SECONDS
    pid = int(pid_text)
    if pid == os.getpid():
        return False  # another write of this process (a thread), under way
    return not _alive(pid) or age > PID_STALE_SECONDS


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, another user's
        return True
    except OSError:
        return True
    return True


@contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path` to write; once the block ends without an error it
    is flushed to disk and renamed over `path`. On any error (or interrupt) it is removed."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise VoxrigError(f"cannot write {str(path)!r}: folder {str(folder)!r} does not exist")
    remove_stale(path)
    tmp = folder / temp_name(path)
    try:
        # 0o666 through the umask: the mode a file made by open() gets
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as exc:
        raise VoxrigError(f"cannot write {str(path)!r}: {exc.strerror}") from None
    try:
        yield tmp
        _flush(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        raise VoxrigError(f"cannot write {str(path)!r}: {exc.strerror}") from None
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file beside it (see the module)."""
    with atomic_output(path) as tmp, open(tmp, "wb") as handle:
        handle.write(data)


def _flush(tmp: Path) -> None:
    """Force the written bytes to disk before the rename makes them the target."""
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
