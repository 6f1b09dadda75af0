"""`voxrig stream` into real receivers on loopback: a python-osc server and, as an independent
peer, Debian's `oscdump` (liblo-tools). Each must decode every message of a short stream, with
the values the engine computed for that audio."""

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_server import BlockingOSCUDPServer
from pythonosc.udp_client import SimpleUDPClient

from voxrig.bridge.cli import SAMPLE_AUDIO
from voxrig.bridge.live.protocols import HEAD_FULL, VRCHAT_EYES, VRCHAT_HEAD, Encoder
from voxrig.core.audio import load_audio
from voxrig.core.config import EmotionConfig, IdleConfig
from voxrig.core.live_face import live_frames, speaker_face
from voxrig.core.names import ARKIT52
from voxrig.core.neural import NeuralStreamingAnimator
from voxrig.core.rotation import eye_angles
from voxrig.core.streaming import RATE, stream_frames

VOXRIG = Path(sys.executable).with_name("voxrig")
FPS = 60.0
SECONDS = 1.5
SPEED = 2.0  # faster than real time keeps the suite short; pacing itself is tested elsewhere
JAW = ARKIT52.index("jawOpen")


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """The first 1.5 s of the bundled speech sample (speech starts within it)."""
    path = tmp_path_factory.mktemp("live") / "short.wav"
    samples = load_audio(SAMPLE_AUDIO).samples[: int(SECONDS * RATE)]
    sf.write(path, samples, RATE, subtype="FLOAT")
    return path


@pytest.fixture(scope="module")
def faced(clip) -> list:
    """What the stream's default (neural) engine makes of the clip fed in 20 ms blocks, with
    the default live face (blinks, gaze, head motion) on top."""
    face = speaker_face(EmotionConfig(), IdleConfig())
    return live_frames(load_audio(clip).samples, NeuralStreamingAnimator(FPS), face)


@pytest.fixture(scope="module")
def expected(faced) -> np.ndarray:
    """The weights (T, 52) of those frames."""
    return np.stack([f.weights for f in faced])


@pytest.fixture(scope="module")
def expected_heads(faced) -> np.ndarray:
    """The head rotation (T, 3) of those frames."""
    return np.stack([f.head for f in faced])


def engine_frames(clip: Path) -> list:
    """The neural streaming engine's own frames of the clip fed in 20 ms blocks."""
    return stream_frames(load_audio(clip).samples, NeuralStreamingAnimator(FPS), chunk=0.02)


def stream(clip: Path, protocol: str, port: int, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VOXRIG), "stream", "--input", str(clip), "--protocol", protocol, "--port",
         str(port), "--speed", str(SPEED), *extra],
        capture_output=True, text=True, timeout=60,
    )


def counters(stderr: str) -> tuple[int, int, int]:
    match = re.search(r"sent (\d+) frames, dropped (\d+) late, (\d+) refused", stderr)
    assert match, stderr
    return tuple(int(g) for g in match.groups())  # type: ignore[return-value]


# ---------------------------------------------------------------------------- python-osc


class PythonOscReceiver:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list]] = []
        self.lock = threading.Lock()
        dispatcher = Dispatcher()
        dispatcher.set_default_handler(self._handle)
        self.server = BlockingOSCUDPServer(("127.0.0.1", 0), dispatcher)
        self.server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _handle(self, address: str, *args) -> None:
        with self.lock:
            self.messages.append((address, list(args)))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[str, list]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    break
            time.sleep(0.02)
        time.sleep(0.1)  # anything beyond the expected count would show up now
        with self.lock:
            return list(self.messages)


def check_stream(protocol: str, messages: list[tuple[str, list]], stderr: str,
                 expected: np.ndarray, atol: float) -> None:
    """Every frame sent arrived whole, with the engine's values, in order. A frame may be
    dropped (not sent) if a loaded machine made it miss its slot; then it must not arrive."""
    sent, dropped, failed = counters(stderr)
    assert failed == 0 and sent + dropped == len(expected)
    assert dropped <= 0.05 * len(expected), stderr
    assert len(messages) == sent * Encoder(protocol).messages_per_frame
    if protocol == "vmc":
        jaw = [args[1] for address, args in messages
               if address == "/VMC/Ext/Blend/Val" and args[0] == "jawOpen"]  # fmt: skip
        assert sum(a == "/VMC/Ext/Blend/Apply" for a, _ in messages) == sent
    elif protocol == "vrchat":
        jaw = [args[0] for address, args in messages
               if address == "/avatar/parameters/FT/v2/JawOpen"]  # fmt: skip
    else:
        heads = [args for address, args in messages if address == "/voxrig/frame"]
        index = [h[0] for h in heads]
        assert index == sorted(set(index)) and len(index) == sent
        assert all(h[1] == pytest.approx(h[0] / FPS, abs=1e-6) for h in heads)
        assert np.allclose([h[2:] for h in heads], expected[index], atol=atol)
        jaw = [args[0] for address, args in messages if address == "/voxrig/blend/jawOpen"]
        assert np.allclose(jaw, expected[index, JAW], atol=atol)
    assert len(jaw) == sent
    # In order: each received value is the engine's value of a later frame than the last.
    position = 0
    for value in jaw:
        while position < len(expected) and abs(expected[position, JAW] - value) > atol:
            position += 1
        assert position < len(expected), "a value that the engine never computed arrived"
        position += 1
    assert max(jaw) > 0.1  # the speech really opened the jaw


@pytest.mark.slow
@pytest.mark.parametrize("protocol", ["vmc", "vrchat", "generic"])
def test_a_python_osc_server_receives_every_message_with_the_engines_values(
        clip, expected, protocol):
    with PythonOscReceiver() as receiver:
        done = stream(clip, protocol, receiver.port)
        assert done.returncode == 0, done.stderr
        sent = counters(done.stderr)[0]
        messages = receiver.wait_for(sent * Encoder(protocol).messages_per_frame)
    check_stream(protocol, messages, done.stderr, expected, atol=1e-6)


def test_idle_off_streams_the_engines_frames_without_blinks_or_gaze(clip):
    with PythonOscReceiver() as receiver:
        done = stream(clip, "generic", receiver.port, "--idle", "off")
        assert done.returncode == 0, done.stderr
        sent = counters(done.stderr)[0]
        messages = receiver.wait_for(sent * Encoder("generic").messages_per_frame)
    mouth_only = np.stack([f.weights for f in engine_frames(clip)])
    check_stream("generic", messages, done.stderr, mouth_only, atol=1e-6)


@pytest.mark.slow
def test_generic_receivers_get_each_frames_head_and_eyes(clip, expected, expected_heads):
    with PythonOscReceiver() as receiver:
        done = stream(clip, "generic", receiver.port)
        assert done.returncode == 0, done.stderr
        sent = counters(done.stderr)[0]
        messages = receiver.wait_for(sent * Encoder("generic").messages_per_frame)
    index = [args[0] for address, args in messages if address == "/voxrig/frame"]
    heads = np.array([args for address, args in messages if address == "/voxrig/head"])
    eyes = np.array([args for address, args in messages if address == "/voxrig/eyes"])
    assert len(index) == len(heads) == len(eyes) == sent
    np.testing.assert_allclose(heads, expected_heads[index], atol=1e-4)
    np.testing.assert_allclose(eyes, [eye_angles(w).reshape(-1) for w in expected[index]],
                               atol=1e-4)
    assert np.ptp(heads, axis=0).max() > 0.2 and np.abs(eyes).max() > 0.5  # they move


@pytest.mark.slow
def test_vrchat_receivers_get_each_frames_eye_and_head_parameters(clip, expected,
                                                                  expected_heads):
    with PythonOscReceiver() as receiver:
        done = stream(clip, "vrchat", receiver.port)
        assert done.returncode == 0, done.stderr
        sent = counters(done.stderr)[0]
        messages = receiver.wait_for(sent * Encoder("vrchat").messages_per_frame)
    values = {name: [args[0] for address, args in messages
                     if address == "/avatar/parameters/" + name]
              for name in VRCHAT_EYES + VRCHAT_HEAD}
    assert all(len(v) == sent for v in values.values())
    yaw = np.array(values["voxrig/HeadYaw"])
    assert np.ptp(yaw) > 0.005
    # each received yaw is a frame's yaw / 45, in stream order
    expected_yaw = expected_heads[:, 1] / HEAD_FULL
    position = 0
    for value in yaw:
        while position < len(expected_yaw) and abs(expected_yaw[position] - value) > 1e-5:
            position += 1
        assert position < len(expected_yaw), "a head yaw the stream never computed arrived"
        position += 1


# ------------------------------------------------------------------------------- oscdump


@pytest.fixture(scope="module")
def oscdump() -> str:
    path = shutil.which("oscdump")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("oscdump (Debian liblo-tools) is missing: .ci/run must install it")
        pytest.skip("oscdump not installed (apt-get install liblo-tools)")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OscDump:
    """oscdump PORT as a subprocess; its lines collected by a reader thread."""

    LINE = re.compile(r"^(?:[0-9a-f]{8}\.[0-9a-f]{8} )?(/\S*) ?(\S*)(.*)$")

    def __init__(self, program: str) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen([program, "-L", str(self.port)], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        client = SimpleUDPClient("127.0.0.1", self.port)
        deadline = time.monotonic() + 5.0
        while not any("/probe" in line for line in self.lines):  # wait until it listens
            assert time.monotonic() < deadline, f"oscdump did not start: {self.lines}"
            client.send_message("/probe", 1)
            time.sleep(0.05)

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def messages(self, count: int, timeout: float = 5.0) -> list[tuple[str, list]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self._decoded()) < count:
            time.sleep(0.02)
        time.sleep(0.1)
        return self._decoded()

    def _decoded(self) -> list[tuple[str, list]]:
        out = []
        for line in list(self.lines):
            match = self.LINE.match(line)
            assert match, f"oscdump printed an undecodable line: {line!r}"
            address, types, rest = match.groups()
            if address == "/probe":
                continue
            out.append((address, _oscdump_args(types, rest)))
        return out

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=5)


def _oscdump_args(types: str, rest: str) -> list:
    tokens = re.findall(r'"[^"]*"|\S+', rest)
    assert len(tokens) == len(types), (types, rest)
    args: list = []
    for tag, token in zip(types, tokens, strict=True):
        if tag == "s":
            args.append(token.strip('"'))
        elif tag == "i":
            args.append(int(token))
        else:
            assert tag == "f", tag
            args.append(float(token))
    return args


@pytest.mark.slow
@pytest.mark.parametrize("protocol", ["vmc", "vrchat", "generic"])
def test_oscdump_decodes_every_message_of_the_stream(clip, expected, oscdump, protocol):
    dump = OscDump(oscdump)
    try:
        done = stream(clip, protocol, dump.port)
        assert done.returncode == 0, done.stderr
        sent = counters(done.stderr)[0]
        messages = dump.messages(sent * Encoder(protocol).messages_per_frame)
    finally:
        dump.close()
    check_stream(protocol, messages, done.stderr, expected, atol=2e-6)  # 6 decimals printed


# ------------------------------------------------------------------------------ livelink


@pytest.mark.slow
def test_a_udp_receiver_gets_one_livelink_packet_per_frame_in_order(clip, expected):
    from test_live_protocols import decode_livelink

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(2.0)
        port = sock.getsockname()[1]
        packets: list[bytes] = []
        thread = threading.Thread(target=_collect, args=(sock, packets, len(expected)))
        # (stops at the expected count or after 2 s without a packet)
        thread.start()
        done = stream(clip, "livelink", port, "--subject", "Narrator")
        thread.join()
    assert done.returncode == 0, done.stderr
    sent, dropped, _ = counters(done.stderr)
    assert sent + dropped == len(expected) and dropped <= 0.05 * len(expected)
    decoded = [decode_livelink(p) for p in packets]
    index = [d["frame"] for d in decoded]
    assert len(index) == sent and index == sorted(set(index))
    assert all(d["subject"] == "Narrator" and d["rate"] == (60, 1) for d in decoded)
    values = np.array([d["values"][:52] for d in decoded])
    assert np.allclose(values, expected[index], atol=1e-6)


def _collect(sock: socket.socket, packets: list[bytes], count: int) -> None:
    try:
        while len(packets) < count:
            packets.append(sock.recv(2048))
    except TimeoutError:
        pass


@pytest.mark.slow
def test_a_mapping_file_renames_what_the_receiver_gets(clip, tmp_path):
    mapping = tmp_path / "avatar.json"
    mapping.write_text('{"format": "voxrig.mapping", "version": 1, "others": "drop", '
                       '"names": {"jawOpen": "Mouth_Open", "mouthClose": "Lips_Seal"}}')
    with PythonOscReceiver() as receiver:
        done = stream(clip, "vmc", receiver.port, "--names", str(mapping))
        assert done.returncode == 0, done.stderr
        sent = counters(done.stderr)[0]
        messages = receiver.wait_for(sent * 7)
    names = {args[0] for address, args in messages if address == "/VMC/Ext/Blend/Val"}
    assert names == {"Mouth_Open", "Lips_Seal"}
    assert len(messages) == sent * 7  # two values, four bones and Apply per frame
