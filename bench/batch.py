"""Throughput of `voxrig batch` against a loop of single `voxrig bake` processes (issue 19).

--short N lines (1-5 s, like game barks) cut from real LJSpeech speech at its quietest
moments, and --long M lines (22-68 s: consecutive LJSpeech clips joined with 0.3 s pauses
until each reaches its 20-60 s target; the 33 clips are reused when they run out),
written as 16 kHz FLAC under build/bench-batch (not committed), baked without transcripts
(the neural engine). Each case runs the real CLI: wall time, lines per minute, x real time,
and the peak RSS of every process of the case (the batch process and each worker), read as
VmHWM from /proc every 50 ms while it runs (a process's own high-water mark, so sampling
misses nothing but the last 50 ms of a process). The machine may be shared: the numbers are
noisy; `uptime`'s load average before and after goes into the results file."""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from voxrig.core.config import ANALYSIS_RATE as RATE

from .datasets import data_root
from .results import BENCH, REPO, git_sha, previous_results, results_path, stamped, write_results
from .speed import as_installed, voxrig_command

RESULTS_DIR = BENCH / "batch_results"
WORK_DIR = REPO / "build" / "bench-batch"
SHORTEST, LONGEST = 1.0, 5.0  # seconds of one line
FRAME = 0.05  # seconds: loudness is judged on frames this long when cutting
SHORT_LINES, LONG_LINES = 200, 20
LONG_SHORTEST, LONG_LONGEST = 20.0, 60.0  # seconds of one long line
PAUSE = 0.3  # seconds of silence between the clips a long line is joined from
SAMPLE_EVERY = 0.05  # seconds between two reads of /proc


@dataclass(frozen=True)
class BatchResult:
    case: str
    lines: int
    wall_seconds: float
    lines_per_minute: float
    x_realtime: float
    main_peak_rss_mb: float  # the process started (the loop: the largest voxrig bake)
    worker_peak_rss_mb: list[float]  # each worker process's peak, largest first


def short_lines(count: int, folder: Path) -> float:
    """Write `count` lines into `folder`; returns their total seconds. The 33 LJSpeech clips
    give 71 pieces: past that they repeat (each copy is still a line of its own to bake)."""
    folder.mkdir(parents=True, exist_ok=True)
    pieces = [piece for audio in _clips() for piece in _cut(_read_16k(audio))]
    total = 0.0
    for number in range(count):
        piece = pieces[number % len(pieces)]
        sf.write(folder / f"line{number:04d}.flac", piece, RATE)
        total += len(piece) / RATE
    return total


def long_lines(count: int, folder: Path) -> float:
    """Write `count` lines of 20-60 s into `folder`, consecutive LJSpeech clips joined by
    PAUSE s of silence, taken from its last clip backwards (the short lines start at its
    first) and around again when they run out; returns their total seconds."""
    folder.mkdir(parents=True, exist_ok=True)
    clips = itertools.cycle([_read_16k(audio) for audio in reversed(_clips())])
    pause = np.zeros(int(PAUSE * RATE), np.float32)
    total = 0.0
    for number, target in enumerate(np.linspace(LONG_SHORTEST, LONG_LONGEST, count)):
        pieces = [next(clips)]
        while sum(len(p) for p in pieces) / RATE < target:
            pieces += [pause, next(clips)]
        line = np.concatenate(pieces)
        sf.write(folder / f"long{number:03d}.flac", line, RATE)
        total += len(line) / RATE
    return total


def _clips() -> list[Path]:
    return sorted((data_root() / "english" / "ljspeech").glob("*.flac"))


def _read_16k(audio: Path) -> np.ndarray:
    samples, rate = sf.read(audio, dtype="float32", always_2d=True)
    return _to_16k(samples.mean(axis=1), rate)


def measure_tree(cmd: list[str]) -> tuple[float, int, str, float, list[float]]:
    """Run `cmd`: (wall seconds, exit code, last stderr line, its own peak RSS MB, the peak
    RSS MB of each process below it, largest first)."""
    peaks: dict[int, float] = {}
    started = time.perf_counter()
    with subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          env=as_installed()) as process:
        while process.poll() is None:
            for pid in [process.pid, *_descendants(process.pid)]:
                peaks[pid] = max(peaks.get(pid, 0.0), _peak_mb(pid))
            time.sleep(SAMPLE_EVERY)
        err = (process.stderr.read().strip().splitlines() or [""])[-1]
    wall = time.perf_counter() - started
    main = peaks.pop(process.pid, 0.0)
    workers = sorted((round(mb, 1) for mb in peaks.values() if mb > 0), reverse=True)
    return wall, process.returncode, err, main, workers


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                children = Path(f"/proc/{parent}/task/{task}/children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                found.append(child)
                todo.append(child)
    return found


def _peak_mb(pid: int) -> float:
    """VmHWM: the process's peak resident memory so far (0 when it is gone)."""
    try:
        for row in Path(f"/proc/{pid}/status").read_text().splitlines():
            if row.startswith("VmHWM:"):
                return int(row.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def load_average() -> str:
    """`uptime`'s load averages (1, 5, 15 min): how busy the shared machine was."""
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _to_16k(samples: np.ndarray, rate: int) -> np.ndarray:
    times = np.arange(int(len(samples) * RATE / rate)) / RATE
    return np.interp(times, np.arange(len(samples)) / rate, samples).astype(np.float32)


def _cut(samples: np.ndarray) -> list[np.ndarray]:
    """Pieces of SHORTEST..LONGEST s, each ending at the quietest frame it could end on."""
    hop = int(FRAME * RATE)
    energy = np.array([float(np.mean(samples[i:i + hop] ** 2))
                       for i in range(0, len(samples), hop)])
    pieces, start = [], 0
    while (len(samples) - start) / RATE >= SHORTEST:
        if (len(samples) - start) / RATE <= LONGEST:
            pieces.append(samples[start:])
            break
        lo = (start + int(SHORTEST * RATE)) // hop
        hi = (start + int(LONGEST * RATE)) // hop
        end = (lo + int(np.argmin(energy[lo:hi]))) * hop
        pieces.append(samples[start:end])
        start = end
    return pieces


def run_batch_bench(short: int = SHORT_LINES, long: int = LONG_LINES) -> list[BatchResult]:
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    lines = WORK_DIR / "lines"
    seconds = short_lines(short, lines) if short else 0.0
    seconds += long_lines(long, WORK_DIR / "long")
    for audio in (WORK_DIR / "long").iterdir():
        audio.rename(lines / audio.name)
    count = short + long
    vox = voxrig_command()
    results = []

    def record(case: str, wall: float, main: float, workers: list[float]) -> None:
        result = BatchResult(case, count, round(wall, 2), round(count / wall * 60, 1),
                             round(seconds / wall, 2), round(main, 1), workers)
        print(json.dumps(asdict(result)), flush=True)
        results.append(result)

    singles = WORK_DIR / "singles"
    singles.mkdir()
    wall, rss = 0.0, 0.0
    for audio in sorted(lines.iterdir()):
        w, _, _, main, _ = measure_tree([*vox, "bake", str(audio), "-q", "-o",
                                         str(singles / (audio.stem + ".voxrig.json"))])
        wall, rss = wall + w, max(rss, main)
    record("loop of voxrig bake processes", wall, rss, [])
    for folder, case, extra in (("one", "batch --workers 1", ["--workers", "1"]),
                                ("two", "batch --workers 2", ["--workers", "2"]),
                                ("dask", "batch --dask local (2 workers)", ["--dask", "local"])):
        out = WORK_DIR / folder
        w, code, err, main, workers = measure_tree([*vox, "batch", str(lines), "-o", str(out),
                                                    "-q", *extra])
        if code != 0:
            raise SystemExit(f"{case}: {err}")
        record(case, w, main, workers)
    w, _, _, main, workers = measure_tree([*vox, "batch", str(lines), "-o", str(out), "-q",
                                           "--workers", "2"])
    record("rerun, nothing changed", w, main, workers)
    return results


def compare(results: list[BatchResult], previous: Path | None) -> None:
    """Print lines/min beside the previous results file's (its line counts may differ)."""
    if previous is None:
        print("\nno previous results file to compare with")
        return
    before = {r["case"]: r for r in json.loads(previous.read_text())["results"]}
    print(f"\ncompared with {previous.relative_to(REPO)} (lines/min, then / now):")
    for result in results:
        old = before.get(result.case)
        was = f"{old['lines_per_minute']} ({old['lines']} lines)" if old else "-"
        print(f"  {result.case}: {was} / {result.lines_per_minute} ({result.lines} lines)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--short", type=int, default=SHORT_LINES, help="1-5 s lines")
    parser.add_argument("--long", type=int, default=LONG_LINES, help="20-60 s lines")
    args = parser.parse_args()
    load_before = load_average()
    results = run_batch_bench(args.short, args.long)
    load_after = load_average()
    sha = git_sha()
    path = results_path(RESULTS_DIR, sha)
    compare(results, previous_results(path, RESULTS_DIR))
    write_results(path, stamped(sha, short=args.short, long=args.long,
                                load_before=load_before, load_after=load_after,
                                results=[asdict(r) for r in results]))


if __name__ == "__main__":
    main()
