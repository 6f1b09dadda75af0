"""`python -m bench --only neural`: the neural engine's own costs, apart from process start.

- offline: features + model on 60 s of speech (NeuralEngine.predict), best of 3, x real time
- streaming: compute per 10 ms push (NeuralStreamingAnimator at 60 fps) over the same 60 s:
  median, p99 and max; the engine's algorithmic latency
- peak RSS of a process that loads the model and runs both (ru_maxrss)
Results go to bench/neural_results/<date>-<sha>.json."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RESULTS_DIR = Path(__file__).parent / "neural_results"


def measure(wav: Path) -> dict:
    from voxrig.core.audio import load_audio
    from voxrig.core.config import ANALYSIS_RATE
    from voxrig.core.neural import NeuralEngine, NeuralStreamingAnimator

    samples = load_audio(wav).samples
    seconds = len(samples) / ANALYSIS_RATE
    engine = NeuralEngine()
    engine.predict(samples[:ANALYSIS_RATE])  # warm-up: first calls allocate
    walls = []
    for _ in range(3):
        t0 = time.perf_counter()
        engine.predict(samples)
        walls.append(time.perf_counter() - t0)
    stream = NeuralStreamingAnimator(60.0)
    pushes = []
    for start in range(0, len(samples), 160):
        t0 = time.perf_counter()
        stream.push(samples[start : start + 160])
        pushes.append(time.perf_counter() - t0)
    stream.finish()
    ms = np.array(pushes) * 1000.0
    return {
        "audio_seconds": round(seconds, 2),
        "offline_seconds": round(min(walls), 4),
        "offline_x_realtime": round(seconds / min(walls), 1),
        "stream_chunk_ms_median": round(float(np.median(ms)), 3),
        "stream_chunk_ms_p99": round(float(np.percentile(ms, 99)), 3),
        "stream_chunk_ms_max": round(float(ms.max()), 3),
        "stream_latency_ms": round(stream.latency * 1000.0, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "load_average": round(float(open("/proc/loadavg").read().split()[0]), 2),
    }


def main() -> int:
    from .results import git_sha, results_path, write_results
    from .speed import build_input

    with tempfile.TemporaryDirectory(prefix="voxrig-neural-") as tmp:
        wav, _, _ = build_input(Path(tmp))
        # a fresh process, so the peak RSS is the engine's alone
        out = subprocess.run([sys.executable, "-m", "bench.neural", str(wav)],
                             capture_output=True, text=True, check=True,
                             cwd=Path(__file__).parent.parent)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    for key, value in result.items():
        print(f"{key:>24}: {value}")
    write_results(results_path(RESULTS_DIR, git_sha()), result)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(json.dumps(measure(Path(sys.argv[1]))))
    else:
        sys.exit(main())
