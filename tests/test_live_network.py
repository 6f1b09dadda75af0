"""Where `voxrig stream` may send: this machine by default, another address with a one-line
notice naming it, and addresses that reach no one receiver in particular (unspecified,
broadcast, multicast) only with --allow-broadcast. Real UDP sockets throughout."""

import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import soundfile as sf

from voxrig.bridge.cli import SAMPLE_AUDIO, main
from voxrig.core.audio import load_audio
from voxrig.core.streaming import RATE

VOXRIG = Path(sys.executable).with_name("voxrig")
FRAMES = 61  # one second at 60 fps


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("network") / "one.wav"
    sf.write(path, load_audio(SAMPLE_AUDIO).samples[:RATE], RATE)
    return path


def stream_received(clip: Path, bind: str, host: str, *argv: str
                    ) -> tuple[subprocess.CompletedProcess, int, int]:  # fmt: skip
    """Stream the clip as Live Link to `host` while a receiver bound to `bind` counts the
    packets it gets: (the run, packets received, the receiver's port)."""
    received = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((bind, 0))
        sock.settimeout(2.0)
        port = sock.getsockname()[1]

        def receive() -> None:
            nonlocal received
            try:
                while True:
                    sock.recv(2048)
                    received += 1
            except (TimeoutError, OSError):
                pass

        thread = threading.Thread(target=receive)
        thread.start()
        done = subprocess.run([str(VOXRIG), "stream", "--input", str(clip), "--speed", "10",
                               "--protocol", "livelink", "--host", host,
                               "--port", str(port), *argv],
                              capture_output=True, text=True, timeout=60)
        thread.join()
    return done, received, port


def own_network_address() -> str | None:
    """This machine's address on its default route (no packet is sent to find it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only the route is looked up
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def test_the_default_stays_on_this_machine_without_a_notice(clip):
    done, received, _ = stream_received(clip, "127.0.0.1", "127.0.0.1")
    assert done.returncode == 0, done.stderr
    assert received == FRAMES
    assert "notice" not in done.stderr


def test_another_machines_address_is_announced_in_one_line_and_streamed_to(clip):
    address = own_network_address()
    if address is None:
        pytest.skip("this machine has no network interface besides loopback to send to")
    done, received, port = stream_received(clip, address, address)
    assert done.returncode == 0, done.stderr
    notices = [line for line in done.stderr.splitlines() if "notice" in line]
    assert notices == [f"voxrig: notice: sending livelink frames over UDP to {address} port "
                       f"{port}: a network address, not this machine only (unencrypted)"]
    assert received == FRAMES


@pytest.mark.parametrize(("host", "shown", "what"), [
    ("0.0.0.0", "0.0.0.0", "the unspecified address (it names no receiver)"),
    ("::", "[::]", "the unspecified address (it names no receiver)"),
    ("255.255.255.255", "255.255.255.255",
     "a broadcast address (every machine on the network would get the frames)"),
    # the loopback network's own broadcast address: a subnet broadcast only the kernel's
    # routing table knows as one, present on every Linux machine
    ("127.255.255.255", "127.255.255.255",
     "a broadcast address (every machine on the network would get the frames)"),
    ("239.1.2.3", "239.1.2.3",
     "a multicast address (every machine in the group would get the frames)"),
])  # fmt: skip
def test_addresses_that_reach_no_one_receiver_are_refused_in_one_line(clip, capsys, host,
                                                                      shown, what):
    assert main(["stream", "--input", str(clip), "--host", host]) == 1
    err = capsys.readouterr().err
    assert err == (f"voxrig: error: refusing to send to {shown}: it is {what}; give the "
                   "receiver's own address with --host, or pass --allow-broadcast to send "
                   "there anyway\n")


def test_allow_broadcast_sends_to_a_broadcast_address(clip):
    done, received, _ = stream_received(clip, "0.0.0.0", "127.255.255.255",
                                        "--allow-broadcast")
    assert done.returncode == 0, done.stderr
    assert "error" not in done.stderr
    assert received == FRAMES
