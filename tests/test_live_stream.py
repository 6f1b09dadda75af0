"""`voxrig stream` as a user runs it: frames at a steady rate locked to the audio clock, a
missing receiver reported once while streaming goes on, Ctrl-C stopping at once, and one-line
errors for every bad option."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from ctrl_c import interruptible

from voxrig.bridge.cli import SAMPLE_AUDIO, main
from voxrig.bridge.live.sources import sounddevice
from voxrig.core.audio import load_audio
from voxrig.core.streaming import RATE

VOXRIG = Path(sys.executable).with_name("voxrig")


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("stream") / "two.wav"
    sf.write(path, load_audio(SAMPLE_AUDIO).samples[: 2 * RATE], RATE)
    return path


def voxrig(*argv: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(VOXRIG), "stream", *argv], capture_output=True, text=True,
                          timeout=60, **kwargs)


def test_real_time_frames_arrive_steadily_at_the_frame_rate_without_drift(clip):
    """2 s at real speed: one Live Link packet per frame, each on its slot of the audio
    clock; no bursts, no gaps, no drift."""
    from test_live_protocols import decode_livelink

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(3.0)
        arrivals: list[tuple[int, float]] = []

        def receive() -> None:
            try:
                while True:
                    data = sock.recv(2048)
                    arrivals.append((decode_livelink(data)["frame"], time.monotonic()))
            except (TimeoutError, OSError):
                pass

        thread = threading.Thread(target=receive)
        thread.start()
        done = voxrig("--input", str(clip), "--protocol", "livelink", "--subject", "voxrig",
                      "--port", str(sock.getsockname()[1]))
        thread.join()
    assert done.returncode == 0, done.stderr
    expected = int(2 * 60) + 1
    frames = np.array([f for f, _ in arrivals])
    times = np.array([t for _, t in arrivals])
    assert len(frames) >= expected - 2  # a frame may be dropped if the machine stalls
    assert np.all(np.diff(frames) >= 1)  # in order, none twice
    # Each frame's arrival minus its slot on the audio clock: constant within about a frame.
    offset = times - frames / 60.0
    assert np.ptp(offset - np.median(offset)) <= 1.5 / 60.0, np.ptp(offset)
    # Drift: the offset at the end equals the offset at the start.
    assert abs(np.median(offset[-20:]) - np.median(offset[:20])) <= 1.0 / 60.0
    intervals = np.diff(times) / np.diff(frames)
    assert np.median(intervals) == pytest.approx(1 / 60.0, abs=0.002)


def test_a_missing_receiver_is_reported_once_and_streaming_goes_on(clip):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nothing listens there
    done = voxrig("--input", str(clip), "--port", str(port), "--speed", "4")
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "warning" in line]
    assert warnings == [f"voxrig: warning: nothing is listening at 127.0.0.1:{port} (yet); "
                        "still sending"]
    match = re.search(r"sent (\d+) frames, dropped (\d+) late, (\d+) refused", done.stderr)
    assert match and int(match.group(1)) + int(match.group(2)) == 121  # all frames went out
    assert int(match.group(3)) > 0  # ... and the refusals were counted


def test_ctrl_c_stops_within_100_ms_and_prints_the_counters(clip, tmp_path):
    long = tmp_path / "long.wav"
    samples = load_audio(SAMPLE_AUDIO).samples
    sf.write(long, samples, RATE)
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    port = str(receiver.getsockname()[1])
    proc = subprocess.Popen([str(VOXRIG), "stream", "--input", str(long), "--port", port],
                            stderr=subprocess.PIPE, text=True, preexec_fn=interruptible)
    started = proc.stderr.readline()
    assert "voxrig: streaming" in started
    time.sleep(1.0)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    summary = proc.stderr.readline()  # printed once streaming has stopped
    stopped_after = time.monotonic() - sent
    assert re.search(r"voxrig: stopped: sent \d+ frames", summary), summary
    assert stopped_after <= 0.1, stopped_after
    assert proc.wait(timeout=2) == 0  # and the process (engine included) is gone soon after
    receiver.close()


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["--port", "70000"], 2, "port 70000 is outside 1..65535"),
        (["--port", "x"], 2, "'x' is not a valid port"),
        (["--fps", "0"], 2, "frame rate 0 is outside 1..240"),
        (["--fps", "nan"], 2, "frame rate nan is outside 1..240"),
        (["--host", "no such host.invalid"], 1, "cannot resolve host 'no such host.invalid'"),
        (["--host", ""], 1, "invalid host ''"),
        (["--names", "camel"], 1, "unknown name style 'camel'"),
        (["--names", "missing.json"], 1, "cannot read mapping file 'missing.json': file not "
         "found"),
        (["--protocol", "livelink", "--names", "pascal"], 1, "--names does not apply to "
         "livelink"),
        (["--play", "--mic"], 2, "not allowed with argument"),
    ],
)
def test_bad_options_are_one_line_errors(clip, capsys, argv, code, message):
    with pytest.raises(SystemExit) if code == 2 else _nothing():
        result = main(["stream", "--input", str(clip), *argv])
        assert result == code
    err = capsys.readouterr().err
    assert message in err
    lines = [line for line in err.splitlines() if line.startswith("voxrig")]
    assert len(lines) == 1, err


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_a_busy_local_port_is_a_clear_error(clip, capsys):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("0.0.0.0", 0))
        port = busy.getsockname()[1]
        assert main(["stream", "--input", str(clip), "--local-port", str(port)]) == 1
    assert (f"voxrig: error: local port {port} is already in use by another program"
            in capsys.readouterr().err)


def test_nothing_to_stream_says_what_to_give(capsys):
    assert main(["stream"]) == 1
    assert "say what to stream: --input FILE or --mic" in capsys.readouterr().err


def test_a_missing_input_file_is_the_bake_commands_error(tmp_path, capsys):
    assert main(["stream", "--input", str(tmp_path / "none.wav")]) == 1
    assert "none.wav" in capsys.readouterr().err


def _input_devices() -> int:
    try:
        sd = sounddevice()
    except Exception:
        return -1
    return sum(d["max_input_channels"] > 0 for d in sd.query_devices())


def test_list_devices_prints_what_portaudio_sees(capsys):
    if _input_devices() < 0:
        pytest.skip("PortAudio is not installed (apt-get install libportaudio2)")
    assert main(["stream", "--list-devices"]) == 0
    out = capsys.readouterr().out
    assert out.strip()


def _without_sound_server(tmp_path: Path) -> dict[str, str]:
    """The environment of a machine with no sound device: PulseAudio (CI runs one for the
    microphone tests) pointed at a socket nobody serves, so ALSA's pulse device cannot open."""
    return {**os.environ, "PULSE_SERVER": f"unix:{tmp_path / 'no-server'}"}


def _devices(env: dict[str, str]) -> tuple[int, int]:
    """(input, output) devices PortAudio sees in `env`; (-1, -1) without PortAudio."""
    code = ("import sounddevice as sd; d = sd.query_devices(); "
            "print(sum(x['max_input_channels'] > 0 for x in d), "
            "sum(x['max_output_channels'] > 0 for x in d))")
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if run.returncode != 0:
        return -1, -1
    inputs, outputs = run.stdout.split()
    return int(inputs), int(outputs)


def test_a_missing_microphone_is_a_clear_error(tmp_path):
    env = _without_sound_server(tmp_path)
    inputs, _ = _devices(env)
    if inputs != 0:
        pytest.skip("this machine has a microphone besides PulseAudio" if inputs > 0
                    else "PortAudio is not installed (apt-get install libportaudio2)")
    run = subprocess.run([str(VOXRIG), "stream", "--mic"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 1
    assert run.stderr.startswith("voxrig: error: cannot record: no audio input device found")
    assert "--list-devices" in run.stderr
    assert "Traceback" not in run.stderr


def test_play_without_a_sound_card_is_a_clear_error(clip, tmp_path):
    env = _without_sound_server(tmp_path)
    _, outputs = _devices(env)
    if outputs != 0:
        pytest.skip("this machine has a sound output besides PulseAudio" if outputs > 0
                    else "PortAudio is not installed (apt-get install libportaudio2)")
    run = subprocess.run([str(VOXRIG), "stream", "--input", str(clip), "--play", "--speed",
                          "4"], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    err = run.stderr.strip().splitlines()
    assert err[-1].startswith("voxrig: error: cannot play the audio: no sound output device")
    assert "Traceback" not in run.stderr
