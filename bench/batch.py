"""Throughput of `voxrig batch` against a loop of single `voxrig bake` processes (issue 19).

N short lines (1-5 s, like game barks) cut from real LJSpeech speech at its quietest moments,
written as 16 kHz FLAC under build/bench-batch (not committed), baked without transcripts
(the neural engine). Each case runs the real CLI in a fresh process: wall time, lines per
minute, x real time, peak RSS (the largest single process). The machine may be shared: the
numbers are noisy."""

from __future__ import annotations

import argparse
import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from voxrig.core.config import ANALYSIS_RATE as RATE

from .datasets import data_root
from .results import BENCH, REPO, git_sha, results_path, stamped, write_results
from .speed import measure, voxrig_command

RESULTS_DIR = BENCH / "batch_results"
WORK_DIR = REPO / "build" / "bench-batch"
SHORTEST, LONGEST = 1.0, 5.0  # seconds of one line
FRAME = 0.05  # seconds: loudness is judged on frames this long when cutting
LINES = 40


@dataclass(frozen=True)
class BatchResult:
    case: str
    lines: int
    wall_seconds: float
    lines_per_minute: float
    x_realtime: float
    peak_rss_mb: float


def short_lines(count: int, folder: Path) -> float:
    """Write `count` lines into `folder`; returns their total seconds."""
    folder.mkdir(parents=True, exist_ok=True)
    total, written = 0.0, 0
    for audio in sorted((data_root() / "english" / "ljspeech").glob("*.flac")):
        samples, rate = sf.read(audio, dtype="float32", always_2d=True)
        samples = _to_16k(samples.mean(axis=1), rate)
        for piece in _cut(samples):
            sf.write(folder / f"line{written:04d}.flac", piece, RATE)
            total += len(piece) / RATE
            written += 1
            if written == count:
                return total
    raise SystemExit(f"only {written} lines could be cut from LJSpeech")


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


def run_batch_bench(count: int = LINES) -> list[BatchResult]:
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    lines = WORK_DIR / "lines"
    seconds = short_lines(count, lines)
    vox = voxrig_command()
    results = []

    def record(case: str, wall: float, rss: float) -> None:
        result = BatchResult(case, count, round(wall, 2), round(count / wall * 60, 1),
                             round(seconds / wall, 2), round(rss, 1))
        print(json.dumps(asdict(result)), flush=True)
        results.append(result)

    singles = WORK_DIR / "singles"
    singles.mkdir()
    wall, rss = 0.0, 0.0
    for audio in sorted(lines.iterdir()):
        w, r, _, _ = measure([*vox, "bake", str(audio), "-q", "-o",
                              str(singles / (audio.stem + ".voxrig.json"))])
        wall, rss = wall + w, max(rss, r)
    record("loop of voxrig bake processes", wall, rss)
    for folder, case, extra in (("one", "batch --workers 1", ["--workers", "1"]),
                                ("two", "batch --workers 2", ["--workers", "2"]),
                                ("dask", "batch --dask local (2 workers)", ["--dask", "local"])):
        out = WORK_DIR / folder
        w, r, code, err = measure([*vox, "batch", str(lines), "-o", str(out), "-q", *extra])
        if code != 0:
            raise SystemExit(f"{case}: {err}")
        record(case, w, r)
    w, r, _, _ = measure([*vox, "batch", str(lines), "-o", str(out), "-q", "--workers", "2"])
    record("rerun, nothing changed", w, r)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=LINES)
    args = parser.parse_args()
    results = run_batch_bench(args.lines)
    sha = git_sha()
    write_results(results_path(RESULTS_DIR, sha),
                  stamped(sha, lines=args.lines, results=[asdict(r) for r in results]))


if __name__ == "__main__":
    main()
