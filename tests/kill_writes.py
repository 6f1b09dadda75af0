"""kill -9 a real `voxrig bake` / `voxrig export` writing over an existing output, at many
moments, and check what is left: the old output intact (or the new one whole, when the kill
came after the rename), and no temporary file once the same output is written again.

Half the moments are spread over the run from process start to exit; the other half start
when the temporary file appears (the write is under way) and are spread over the time it
was seen in a run to the end, so they land inside the write. Used by
tests/test_atomic_writes.py (a few moments) and run alone for the acceptance's 20 + 20:

    .venv/bin/python tests/kill_writes.py [MOMENTS]
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from voxrig.bridge.cli import SAMPLE_AUDIO
from voxrig.bridge.clipio import load_clip, save_clip
from voxrig.core.audio import load_audio
from voxrig.core.clip import Clip
from voxrig.core.names import ARKIT52
from voxrig.core.streaming import RATE

VOXRIG = Path(sys.executable).with_name("voxrig")
POLL = 0.0005  # s between looks for the temporary file


@dataclass
class Outcome:
    kills: int = 0
    during_write: int = 0  # the temporary file existed when the kill was sent
    old_kept: int = 0  # the output was byte-equal to the old one afterwards
    new_whole: int = 0  # the rename had happened: the output was the complete new file
    damaged: list[str] = field(default_factory=list)  # anything else (must stay empty)
    left_behind: int = 0  # kills after which a temporary file was left (the next write,
    # killed or not, removes it)
    leftovers: int = 0  # temporary files left after the last kill, before the next run
    after_next_run: list[str] = field(default_factory=list)  # must stay empty


def make_inputs(folder: Path, audio_seconds: float, clip_frames: int) -> tuple[Path, Path]:
    """A speech file for bake (the bundled line repeated) and a large clip for export."""
    audio = folder / "speech.wav"
    line = load_audio(SAMPLE_AUDIO).samples
    repeats = int(np.ceil(audio_seconds * RATE / len(line)))
    sf.write(audio, np.tile(line, repeats)[: int(audio_seconds * RATE)], RATE)
    rng = np.random.default_rng(3)
    weights = np.clip(rng.normal(0.2, 0.15, (clip_frames, len(ARKIT52))), 0, 1)
    clip = folder / "big.voxrig.json"
    save_clip(Clip(fps=60.0, weights=weights.astype(np.float32), channels=ARKIT52), clip)
    return audio, clip


def commands(kind: str, source: Path, out: Path) -> tuple[list[str], list[str]]:
    """(the run that makes the old output, the run that is killed): different frame rates
    or contents, so which one the output holds afterwards can be told."""
    if kind == "bake":
        base = [str(VOXRIG), "bake", str(source), "-o", str(out), "-q", "--keypoints"]
        return base + ["--fps", "30"], base + ["--fps", "60"]
    base = [str(VOXRIG), "export", str(source), "-o", str(out), "-q"]
    return base, base + ["--keypoints"]


def is_temp_of(name: str, target: Path) -> bool:
    """True for the name this version gives a write's temporary file: `.<name>.<pid>-<8 hex
    digits>.tmp` beside the target (docs/formats.md)."""
    return re.fullmatch(rf"\.{re.escape(target.name)}\.\d+-[0-9a-f]{{8}}\.tmp", name) is not None


def temp_files(out: Path) -> list[Path]:
    return [p for p in out.parent.iterdir() if is_temp_of(p.name, out)]


def run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, capture_output=True, timeout=600)


def run_watched(cmd: list[str], out: Path) -> tuple[float, float]:
    """Run `cmd` to the end: (its duration, how long its temporary file was seen)."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = last = None
    while proc.poll() is None:
        if temp_files(out):
            last = time.monotonic()
            first = first or last
        time.sleep(POLL)
    assert proc.returncode == 0, cmd
    return time.monotonic() - started, (last - first + POLL) if first else POLL


def kill_once(cmd: list[str], out: Path, delay: float, after_temp: bool, limit: float) -> bool:
    """Start `cmd`, kill -9 it `delay` s after its start (or after its temporary file
    appears); True if the temporary file existed at the kill."""
    before = set(temp_files(out))
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = time.monotonic()
    if after_temp:
        while (time.monotonic() - started < limit and proc.poll() is None
               and not set(temp_files(out)) - before):
            time.sleep(POLL)
        started = time.monotonic()
    while time.monotonic() - started < delay and proc.poll() is None:
        time.sleep(POLL)
    writing = bool(set(temp_files(out)) - before)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return writing


def experiment(kind: str, source: Path, out: Path, moments: int) -> Outcome:
    """kill -9 `moments` runs of `kind` writing over `out`, then run it once to the end."""
    make_old, killed = commands(kind, source, out)
    run(make_old)
    old = out.read_bytes()
    duration, window = run_watched(killed, out)
    new_fps = load_clip(out).fps
    out.write_bytes(old)
    outcome = Outcome()
    spread = moments // 2
    delays = [(duration * (i + 0.5) / spread, False) for i in range(spread)]
    inside = moments - spread
    delays += [(window * i / inside, True) for i in range(inside)]
    for delay, after_temp in delays:
        outcome.kills += 1
        outcome.during_write += kill_once(killed, out, delay, after_temp, 2 * duration)
        outcome.left_behind += bool(temp_files(out))
        data = out.read_bytes()
        if data == old:
            outcome.old_kept += 1
            continue
        try:
            whole = load_clip(out).fps == new_fps
        except Exception as exc:  # noqa: BLE001 - any failure to read is damage
            outcome.damaged.append(f"{type(exc).__name__}: {exc}")
            whole = False
        outcome.new_whole += whole
        out.write_bytes(old)  # the next kill is judged against the old file again
    outcome.leftovers = len(temp_files(out))
    run(killed)
    outcome.after_next_run = [p.name for p in temp_files(out)]
    return outcome


def main() -> None:
    import tempfile

    moments = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    with tempfile.TemporaryDirectory(prefix="voxrig-kill-") as tmp:
        folder = Path(tmp)
        audio, clip = make_inputs(folder, audio_seconds=60.0, clip_frames=60 * 300)
        for kind, source in (("bake", audio), ("export", clip)):
            outcome = experiment(kind, source, folder / f"{kind}.out.json", moments)
            print(f"{kind}: {outcome}")


if __name__ == "__main__":
    main()
