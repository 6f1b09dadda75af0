"""`voxrig stream --speed X`: a file paced X times faster than real time reaches a real UDP
receiver whole and in order while the engine keeps up, and says so in one line when it
cannot."""

import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from voxrig.bridge.cli import SAMPLE_AUDIO
from voxrig.core.audio import load_audio
from voxrig.core.streaming import RATE

VOXRIG = Path(sys.executable).with_name("voxrig")
FPS = 60


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, int]:
    """The bundled 9.7 s line as a WAV, and how many frames it makes at 60 fps."""
    path = tmp_path_factory.mktemp("speed") / "line.wav"
    samples = load_audio(SAMPLE_AUDIO).samples
    sf.write(path, samples, RATE)
    return path, int(len(samples) / RATE * FPS) + 1


def stream_to_receiver(audio: Path, *argv: str) -> tuple[subprocess.CompletedProcess,
                                                         list[tuple[int, float]]]:
    """Run `voxrig stream` at a Live Link receiver; (the run, [(frame number, arrival)])."""
    from test_live_protocols import decode_livelink

    arrivals: list[tuple[int, float]] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        sock.settimeout(3.0)

        def receive() -> None:
            try:
                while True:
                    packet = sock.recv(2048)
                    arrivals.append((decode_livelink(packet)["frame"], time.monotonic()))
            except (TimeoutError, OSError):
                pass

        thread = threading.Thread(target=receive)
        thread.start()
        done = subprocess.run([str(VOXRIG), "stream", "--input", str(audio), "--protocol",
                               "livelink", "--port", str(sock.getsockname()[1]), *argv],
                              capture_output=True, text=True, timeout=120)
        thread.join()
    return done, arrivals


def test_speed_20_sends_every_frame_in_order_paced_at_twenty_times_real_time(sample):
    audio, frames = sample
    done, arrivals = stream_to_receiver(audio, "--speed", "20")
    assert done.returncode == 0, done.stderr
    assert f"sent {frames} frames, dropped 0 late" in done.stderr
    assert "warning" not in done.stderr
    index = np.array([f for f, _ in arrivals])
    assert index.tolist() == list(range(frames))  # all of them, in order, none twice
    # paced, not sent in a burst: frame k leaves at its slot k / (60 * 20) after the first
    times = np.array([t for _, t in arrivals])
    offset = times - index / (FPS * 20.0)
    assert np.percentile(np.abs(offset - np.median(offset)), 95) <= 0.02


def test_an_engine_slower_than_the_speed_asked_for_says_so_in_one_line(sample):
    """The phonetic engine computes well under 100x real time: the late frames are dropped
    (not sent in a bunch) and a warning names the speed reached and the frames lost."""
    audio, frames = sample
    done, arrivals = stream_to_receiver(audio, "--speed", "100", "--engine", "phonetic")
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1, done.stderr
    match = re.fullmatch(r"voxrig: warning: --speed 100 is faster than the phonetic engine "
                         r"runs here \(([\d.]+)x real time\): (\d+) of (\d+) frames were ready "
                         r"too late and were dropped; a lower --speed sends them all",
                         warnings[0])
    assert match, warnings[0]
    assert float(match.group(1)) < 100 and int(match.group(3)) == frames
    sent = frames - int(match.group(2))
    assert sorted(f for f, _ in arrivals) == [f for f, _ in arrivals] and len(arrivals) == sent
