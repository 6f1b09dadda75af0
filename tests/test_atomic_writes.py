"""Outputs appear whole or not at all and leave nothing behind: the temporary file of a write
is removed on every exit the process controls (an error, Ctrl-C, SIGTERM), and the ones a
kill -9 left are removed by the next write of the same output (only those, and only once
their writer is gone). Real `voxrig` processes, real files, real signals."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from kill_writes import POLL, experiment, is_temp_of, make_inputs, temp_files

from voxrig.bridge.atomic import (
    LEGACY_STALE_SECONDS,
    atomic_output,
    temp_name,
    write_atomic,
)
from voxrig.bridge.clipio import load_clip, save_clip
from voxrig.bridge.exporters import EXPORTERS, export
from voxrig.core.clip import Clip
from voxrig.core.errors import VoxrigError
from voxrig.core.names import ARKIT52

VOXRIG = Path(sys.executable).with_name("voxrig")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> tuple[Path, Path]:
    """5 s of speech to bake and a 2-minute clip to export."""
    return make_inputs(tmp_path_factory.mktemp("atomic"), audio_seconds=5.0,
                       clip_frames=60 * 120)


def small_clip(frames: int = 30) -> Clip:
    weights = np.linspace(0, 1, frames * 52, dtype=np.float32).reshape(frames, 52)
    return Clip(fps=30.0, weights=weights, channels=ARKIT52,
                visemes=np.full((frames, 15), 1 / 15, np.float32))


def gone_pid() -> int:
    """The pid of a process that has run, exited and been reaped: a killed writer's."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def leftover(out: Path, pid: int, age: float = 0.0, token: str = "0badc0de") -> Path:
    """A temporary file as a write by process `pid` would have left it, `age` s old."""
    path = out.parent / f".{out.name}.{pid}-{token}.tmp"
    path.write_bytes(b"half a file")
    if age:
        stamp = time.time() - age
        os.utime(path, (stamp, stamp))
    return path


# ------------------------------------------------------------------------ the writer itself


def test_a_write_replaces_the_file_with_the_umasks_mode_and_leaves_no_temporary_file(tmp_path):
    out = tmp_path / "line.json"
    out.write_text("old")
    previous = os.umask(0o027)
    try:
        write_atomic(out, b"new")
    finally:
        os.umask(previous)
    assert out.read_bytes() == b"new"
    assert out.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["line.json"]


@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError, OSError])
def test_an_error_while_writing_keeps_the_old_file_and_removes_the_temporary_one(tmp_path,
                                                                                error):
    out = tmp_path / "line.json"
    out.write_text("old")
    expected = VoxrigError if error is OSError else error  # OSError: the user's one line
    with pytest.raises(expected) as caught, atomic_output(out) as tmp:
        tmp.write_bytes(b"half")
        raise error(28, "No space left on device") if error is OSError else error()
    if error is OSError:
        assert str(caught.value) == f"cannot write {str(out)!r}: No space left on device"
    assert out.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["line.json"]


def test_the_temporary_name_is_hidden_beside_its_target_and_carries_the_pid(tmp_path):
    out = tmp_path / "a.b.json"
    name = temp_name(out)
    assert name.startswith(f".a.b.json.{os.getpid()}-") and name.endswith(".tmp")
    assert is_temp_of(name, out)
    assert not is_temp_of(name, tmp_path / "a.json")


# -------------------------------------------------------------------- leftovers of a kill -9


def test_leftovers_of_dead_writers_are_removed_when_the_output_is_written_again(tmp_path):
    out = tmp_path / "line.json"
    out.write_text("old")
    dead = leftover(out, gone_pid())
    old_style = tmp_path / ".line.json.abcd1234.tmp"
    old_style.write_bytes(b"x")
    stamp = time.time() - 2 * LEGACY_STALE_SECONDS
    os.utime(old_style, (stamp, stamp))
    write_atomic(out, b"new")
    assert not dead.exists() and not old_style.exists()
    assert out.read_bytes() == b"new"


def test_a_write_under_way_and_other_files_are_left_alone(tmp_path):
    """Two bakes writing the same file at once each keep their own temporary file: only a
    writer that is gone (or a pid-less file untouched for a minute) counts as a leftover."""
    out = tmp_path / "line.json"
    writer = subprocess.Popen(["sleep", "30"])  # a live process: its write is under way
    try:
        busy = leftover(out, writer.pid)
        fresh_old_style = tmp_path / ".line.json.abcd1234.tmp"
        fresh_old_style.write_bytes(b"x")
        other_target = leftover(tmp_path / "other.json", gone_pid())
        users = tmp_path / ".line.json.notes.tmp"
        users.write_text("mine")
        users_old = tmp_path / "line.json.tmp"  # not hidden: never a write's temporary file
        users_old.write_text("mine")
        stamp = time.time() - 2 * LEGACY_STALE_SECONDS
        os.utime(users_old, (stamp, stamp))
        write_atomic(out, b"new")
        assert busy.exists() and fresh_old_style.exists()
        assert other_target.exists() and users.exists() and users_old.exists()
    finally:
        writer.kill()
        writer.wait()


def test_two_exports_writing_one_file_at_once_leave_one_whole_file(tmp_path):
    source, out = tmp_path / "clip.json", tmp_path / "out.json"
    save_clip(small_clip(3000), source)
    runs = [subprocess.Popen([str(VOXRIG), "export", str(source), "-o", str(out), "-q", *extra])
            for extra in ([], ["--keypoints"], [], ["--keypoints"])]
    assert [r.wait(timeout=60) for r in runs] == [0, 0, 0, 0]
    assert load_clip(out).frame_count == 3000  # one of them, whole
    assert temp_files(out) == []


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
def test_every_exporter_writes_through_the_atomic_writer(tmp_path, fmt):
    out = tmp_path / f"line.{EXPORTERS[fmt].extensions[0]}"
    stale = leftover(out, gone_pid())
    export(small_clip(), out, fmt)
    assert out.stat().st_size > 0
    assert not stale.exists()  # removed by the one writer that knows the pattern
    assert temp_files(out) == []


def test_a_failed_video_keeps_the_old_one_and_removes_its_temporary_files(tmp_path):
    from voxrig.bridge.preview.video import encode_mp4

    out = tmp_path / "line.mp4"
    out.write_bytes(b"old video")
    stale = leftover(out, gone_pid())
    frames = [np.zeros((64, 64, 3), np.uint8), np.zeros((32, 32, 3), np.uint8)]
    with pytest.raises(Exception, match="all frames must have the same size"):
        encode_mp4(frames, 30.0, out)
    assert out.read_bytes() == b"old video"
    assert not stale.exists() and temp_files(out) == []


# ---------------------------------------------------------------- real processes, signals


@pytest.mark.slow
def test_kill_9_during_bake_and_export_keeps_the_old_output_and_the_next_run_cleans_up(
        inputs, tmp_path):
    """Four moments of each (tests/kill_writes.py runs the acceptance's 20 + 20)."""
    audio, clip = inputs
    for kind, source in (("bake", audio), ("export", clip)):
        outcome = experiment(kind, source, tmp_path / f"{kind}.json", moments=4)
        assert outcome.damaged == [], (kind, outcome)
        assert outcome.old_kept + outcome.new_whole == outcome.kills == 4
        assert outcome.during_write >= 1, (kind, outcome)  # the kills did hit a write
        assert outcome.after_next_run == [], (kind, outcome)


def test_sigterm_during_a_write_unwinds_and_removes_the_temporary_file(inputs, tmp_path):
    _, clip = inputs
    out = tmp_path / "out.json"
    subprocess.run([str(VOXRIG), "export", str(clip), "-o", str(out), "-q"], check=True)
    old = out.read_bytes()
    for _ in range(5):  # until a signal lands before the export ends by itself
        proc = subprocess.Popen([str(VOXRIG), "export", str(clip), "-o", str(out), "-q",
                                 "--keypoints"], stderr=subprocess.PIPE, text=True)
        while proc.poll() is None and not temp_files(out):
            time.sleep(POLL)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        if proc.returncode != 0:
            break
        out.write_bytes(old)
    assert proc.returncode == 128 + signal.SIGTERM
    assert err == "voxrig: stopped by SIGTERM\n"
    # the old file, or (signal after the rename) the new one whole
    assert out.read_bytes() == old or load_clip(out).keypoints is not None
    assert temp_files(out) == []


def test_sigterm_stops_a_stream_with_one_line(tmp_path, inputs):
    audio, _ = inputs
    proc = subprocess.Popen([str(VOXRIG), "stream", "--input", str(audio), "--port", "9"],
                            stderr=subprocess.PIPE, text=True)
    assert "voxrig: streaming" in proc.stderr.readline()
    threading.Event().wait(0.5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 128 + signal.SIGTERM
    assert err.splitlines()[-1] == "voxrig: stopped by SIGTERM"
    assert "Traceback" not in err
