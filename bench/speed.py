"""Speed of the `voxrig bake` command on a 60 s input, measured as a user meets it: a fresh
process (start-up included), wall time, how many times faster than real time, and peak
resident memory. The input is real speech: LJSpeech clips and their transcripts joined."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from .datasets import ljspeech_clips

TARGET_SECONDS = 60.0
GAP_SECONDS = 0.25  # silence between joined clips, as between read sentences


@dataclass(frozen=True)
class SpeedResult:
    mode: str  # "transcript" or "no transcript"
    audio_seconds: float
    wall_seconds: float  # best of `repeats`, start-up included
    x_realtime: float  # audio seconds per wall second (higher is faster)
    peak_rss_mb: float
    exit_code: int
    error: str = ""


def build_input(folder: Path, seconds: float = TARGET_SECONDS) -> tuple[Path, Path, float]:
    """Join LJSpeech clips (repeating from the first if needed) into `seconds` of speech:
    a 22.05 kHz wav, its transcript, and its exact duration."""
    clips = ljspeech_clips()
    if not clips:
        raise FileNotFoundError("no LJSpeech clips with transcripts found")
    parts: list[np.ndarray] = []
    texts: list[str] = []
    rate = 0
    total = 0.0
    i = 0
    while total < seconds:
        clip = clips[i % len(clips)]
        samples, sr = sf.read(clip.audio, dtype="float32", always_2d=True)
        mono = samples.mean(axis=1)
        if rate == 0:
            rate = sr
        elif sr != rate:
            mono = resample_poly(mono, rate, sr).astype(np.float32)
        gap = np.zeros(int(GAP_SECONDS * rate), dtype=np.float32)
        parts += [mono, gap]
        texts.append(clip.transcript)
        total += (len(mono) + len(gap)) / rate
        i += 1
    audio = np.concatenate(parts)
    wav = folder / "speech60.wav"
    txt = folder / "speech60.txt"
    sf.write(wav, audio, rate, subtype="PCM_16")
    txt.write_text(" ".join(texts) + "\n", encoding="utf-8")
    return wav, txt, len(audio) / rate


def voxrig_command() -> list[str]:
    exe = Path(sys.executable).with_name("voxrig")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "voxrig.bridge.cli"]


@functools.cache
def as_installed() -> dict[str, str]:
    """The environment of a user's shell: Python may cache compiled modules, as a pip install
    does at install time (a shell with PYTHONDONTWRITEBYTECODE set recompiles voxrig's ~85
    modules in every process, about 0.2 s that no user pays). Compiled once here."""
    import compileall
    import os

    repo = Path(__file__).resolve().parent.parent
    for package in ("core", "bridge"):
        compileall.compile_dir(str(repo / package), quiet=1)
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def measure(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int, str]:
    """Run `cmd` from a fresh measuring process, so ru_maxrss of RUSAGE_CHILDREN is this
    command's alone: (wall seconds, peak RSS MB, exit code, last stderr line). `env` adds
    variables to the user's environment."""
    probe = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - t\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "err = (p.stderr.strip().splitlines() or [''])[-1]\n"
        "print(json.dumps([wall, rss, p.returncode, err]))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, *cmd], capture_output=True, text=True,
                         check=True, env={**as_installed(), **(env or {})})
    wall, rss_kb, code, err = json.loads(out.stdout)
    return wall, rss_kb / 1024.0, code, err


def run_speed(repeats: int = 2) -> list[SpeedResult]:
    """Bake the 60 s input with and without its transcript; best wall time of `repeats`."""
    results = []
    with tempfile.TemporaryDirectory(prefix="voxrig-speed-") as tmp:
        folder = Path(tmp)
        wav, txt, seconds = build_input(folder)
        modes = (("transcript", ["--text", str(txt)]), ("no transcript", []),
                 ("phonetic, no transcript", ["--engine", "phonetic"]))
        for mode, extra in modes:
            cmd = [*voxrig_command(), "bake", str(wav), *extra, "--fps", "30", "--quiet",
                   "-o", str(folder / "out.json")]
            best = None
            for _ in range(repeats):
                wall, rss, code, err = measure(cmd)
                if best is None or wall < best[0]:
                    best = (wall, rss, code, err)
                if code != 0:
                    break
            wall, rss, code, err = best
            results.append(SpeedResult(
                mode=mode, audio_seconds=round(seconds, 3), wall_seconds=round(wall, 3),
                x_realtime=round(seconds / wall, 2), peak_rss_mb=round(rss, 1),
                exit_code=code, error=err if code else "",
            ))
    return results


def main() -> None:
    for r in run_speed():
        print(json.dumps(asdict(r)))


if __name__ == "__main__":
    main()
