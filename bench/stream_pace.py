"""`voxrig stream --speed X`: frames a real UDP receiver gets of those the file makes, for
each engine and speed, and how closely they keep their slots at X times real time.

    .venv/bin/python -m bench.stream_pace            # speeds 1, 5, 20, 50; both engines

Results go to bench/stream_pace_results/<date>-<sha>.json (see docs/live.md, *Measured*).
"""

from __future__ import annotations

import argparse
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from voxrig.bridge.cli import SAMPLE_AUDIO
from voxrig.core.audio import load_audio
from voxrig.core.streaming import RATE

from .results import BENCH, git_sha, results_path, stamped, write_results

VOXRIG = Path(sys.executable).with_name("voxrig")
FOLDER = BENCH / "stream_pace_results"
FPS = 60


def stream_to_receiver(audio: Path, *argv: str
                       ) -> tuple[subprocess.CompletedProcess, list[int], list[float]]:
    """`voxrig stream --input audio --protocol livelink *argv` to a receiver on loopback:
    (the run, the frame numbers received, their arrival times)."""
    frames: list[int] = []
    arrivals: list[float] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        sock.settimeout(3.0)

        def receive() -> None:
            try:
                while True:
                    packet = sock.recv(2048)
                    arrivals.append(time.monotonic())
                    # the frame number: after version, two FStrings (device, subject)
                    pos = 1
                    for _ in range(2):
                        pos += 4 + int.from_bytes(packet[pos:pos + 4], "big")
                    frames.append(int.from_bytes(packet[pos:pos + 4], "big", signed=True))
            except (TimeoutError, OSError):
                pass

        thread = threading.Thread(target=receive)
        thread.start()
        done = subprocess.run([str(VOXRIG), "stream", "--input", str(audio), "--protocol",
                               "livelink", "--port", str(sock.getsockname()[1]), *argv],
                              capture_output=True, text=True, timeout=600)
        thread.join()
    return done, frames, arrivals


def run_once(audio: Path, speed: float, engine: str) -> dict:
    """One `voxrig stream` run at --speed with one engine, summed up."""
    done, frames, arrivals = stream_to_receiver(audio, "--speed", f"{speed:g}", "--engine",
                                                engine)
    expected = int(sf.info(str(audio)).frames / RATE * FPS) + 1
    index, times = np.array(frames), np.array(arrivals)
    offset = times - index / (FPS * speed) if len(index) else np.zeros(1)
    warning = next((line for line in done.stderr.splitlines() if "--speed" in line), None)
    return {
        "speed": speed, "engine": engine, "expected": expected, "received": len(frames),
        "in_order": bool(np.all(np.diff(index) > 0)) if len(index) > 1 else True,
        "slot_spread_ms_p95": round(float(np.percentile(
            np.abs(offset - np.median(offset)), 95)) * 1000, 2),
        "engine_x_realtime": _engine_speed(warning),
        "warning": warning, "exit": done.returncode,
    }


def _engine_speed(warning: str | None) -> float | None:
    match = warning and re.search(r"\(([\d.]+)x real time\)", warning)
    return float(match.group(1)) if match else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speeds", default="1,5,20,50")
    parser.add_argument("--engines", default="neural,phonetic")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="voxrig-pace-") as tmp:
        audio = Path(tmp) / "line.wav"
        sf.write(audio, load_audio(SAMPLE_AUDIO).samples, RATE)
        for engine in args.engines.split(","):
            for speed in (float(s) for s in args.speeds.split(",")):
                row = run_once(audio, speed, engine)
                rows.append(row)
                print(f"{engine:9} --speed {speed:<4g} {row['received']:4d} of "
                      f"{row['expected']} frames, in order {row['in_order']}, slot spread p95 "
                      f"{row['slot_spread_ms_p95']} ms" + (f"; {row['warning']}"
                                                           if row["warning"] else ""))
    sha = git_sha()
    write_results(results_path(FOLDER, sha), stamped(sha, audio="LJ001-0001 (9.7 s)",
                                                     fps=FPS, runs=rows))


if __name__ == "__main__":
    main()
