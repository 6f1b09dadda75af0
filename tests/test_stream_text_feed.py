"""`voxrig stream --text-feed FILE|-`: lines of dialogue arriving while streaming; each line's
text emotion (the bake's classify) shows from the next speech onset after it arrived. Real
engine, a real pipe into the real CLI, a real UDP receiver."""

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from voxrig.bridge.cli import SAMPLE_AUDIO, main
from voxrig.bridge.live.text_feed import TextFeed
from voxrig.core.audio import load_audio
from voxrig.core.config import EmotionConfig, IdleConfig
from voxrig.core.emotion.phrases import PAUSE
from voxrig.core.live_face import live_frames, speaker_face
from voxrig.core.names import ARKIT_INDEX
from voxrig.core.neural import NeuralStreamingAnimator
from voxrig.core.streaming import RATE, SPEAKING_JAW, stream_frames

VOXRIG = Path(sys.executable).with_name("voxrig")
FPS = 30.0
SMILE = ARKIT_INDEX["mouthSmileLeft"]
JAW = ARKIT_INDEX["jawOpen"]
HAPPY = "I am so happy, this is wonderful!"


@pytest.fixture(scope="module")
def two_phrases() -> np.ndarray:
    """2 s of speech, 1 s of silence, 2 s of speech."""
    speech = load_audio(SAMPLE_AUDIO).samples
    return np.concatenate([speech[: 2 * RATE], np.zeros(RATE, np.float32),
                           speech[2 * RATE: 4 * RATE]])


def onsets(jaw: np.ndarray, fps: float) -> list[float]:
    """Times of the first speaking frame after PAUSE s of a closed mouth."""
    out, last = [], None
    for i in np.flatnonzero(jaw > SPEAKING_JAW):
        if last is None or (i - last) / fps >= PAUSE:
            out.append(i / fps)
        last = i
    return out


def test_a_line_arriving_mid_phrase_shows_from_the_next_speech_onset(two_phrases):
    engine = np.stack([f.weights for f in
                       stream_frames(two_phrases, NeuralStreamingAnimator(FPS))])
    face = speaker_face(EmotionConfig(), IdleConfig(enabled=False))
    frames = live_frames(two_phrases, NeuralStreamingAnimator(FPS), face, lines={1.0: HAPPY})
    smile = np.stack([f.weights for f in frames])[:, SMILE] - engine[:, SMILE]
    times = np.arange(len(smile)) / FPS
    second = [t for t in onsets(engine[:, JAW], FPS) if t > 2.0][0]
    assert 2.9 <= second <= 3.3
    assert np.abs(smile[times < second]).max() < 1e-6  # not while the first phrase goes on
    assert smile[(times > second + 0.3) & (times < 4.8)].min() > 0.2


def test_a_later_line_replaces_one_whose_speech_has_not_started(two_phrases):
    face = speaker_face(EmotionConfig(), IdleConfig(enabled=False))
    frames = live_frames(two_phrases, NeuralStreamingAnimator(FPS), face,
                         lines={0.5: HAPPY, 1.0: "I hate you, get out!"})
    weights = np.stack([f.weights for f in frames])
    late = slice(int(3.6 * FPS), int(4.8 * FPS))
    assert weights[late, ARKIT_INDEX["browDownLeft"]].min() > 0.3
    assert weights[late, SMILE].max() < 0.3


def test_the_feed_says_each_line_of_a_file_in_order(tmp_path):
    path = tmp_path / "lines.txt"
    path.write_text("Hello there.\n\n  I am so happy!  \nGoodbye.\n", encoding="utf-8")
    said: list[str] = []
    feed = TextFeed(str(path), said.append)
    feed.start()
    feed.join(timeout=5)
    assert said == ["Hello there.", "I am so happy!", "Goodbye."] and feed.lines == 3


def test_the_feed_reads_a_named_pipe_line_by_line_as_the_writer_writes(tmp_path):
    pipe = tmp_path / "lines"
    os.mkfifo(pipe)
    said: list[str] = []
    feed = TextFeed(str(pipe), said.append)
    feed.start()  # opening the pipe waits for its writer, in the feed's thread
    with open(pipe, "w", encoding="utf-8") as writer:
        writer.write("First line.\n")
        writer.flush()
        deadline = time.monotonic() + 5
        while not said and time.monotonic() < deadline:
            time.sleep(0.01)
        assert said == ["First line."]  # said before the writer is done
        writer.write("Second line!\n")
    feed.join(timeout=5)
    assert said == ["First line.", "Second line!"]


@pytest.mark.parametrize("make, message", [
    (lambda tmp: tmp / "none.txt", "cannot read text feed '{}': file not found"),
    (lambda tmp: tmp, "cannot read text feed '{}': it is a directory, not a file"),
])
def test_a_feed_that_cannot_be_read_is_one_line_before_streaming(tmp_path, capsys, make,
                                                                 message):
    path = make(tmp_path)
    assert main(["stream", "--input", str(SAMPLE_AUDIO), "--text-feed", str(path)]) == 1
    err = capsys.readouterr().err
    assert message.format(path) in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.slow
def test_a_line_piped_into_the_cli_smiles_from_the_speech_after_it(tmp_path):
    """1.5 s of silence, then speech; the happy line goes down a real pipe at once."""
    from test_live_protocols import decode_livelink

    speech = load_audio(SAMPLE_AUDIO).samples[: 2 * RATE]
    audio = np.concatenate([np.zeros(int(1.5 * RATE), np.float32), speech])
    clip = tmp_path / "late.wav"
    sf.write(clip, audio, RATE, subtype="FLOAT")
    engine = np.stack([f.weights for f in stream_frames(audio, NeuralStreamingAnimator(60.0))])
    packets: list[bytes] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(3.0)
        receiver = threading.Thread(target=_collect, args=(sock, packets))
        receiver.start()
        proc = subprocess.Popen(
            [str(VOXRIG), "stream", "--input", str(clip), "--protocol", "livelink",
             "--port", str(sock.getsockname()[1]), "--idle", "off", "--text-feed", "-"],
            stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        proc.stdin.write(HAPPY + "\n")
        proc.stdin.flush()
        _, err = proc.communicate(timeout=60)
        receiver.join()
    assert proc.returncode == 0, err
    decoded = [decode_livelink(p) for p in packets]
    index = np.array([d["frame"] for d in decoded])
    smile = np.array([d["values"][SMILE] for d in decoded]) - engine[index, SMILE]
    times = index / 60.0
    onset = onsets(engine[:, JAW], 60.0)[0]
    assert 1.4 <= onset <= 1.8
    assert np.abs(smile[times < onset]).max() < 1e-6
    assert smile[(times > onset + 0.3) & (times < 3.3)].min() > 0.2


def _collect(sock: socket.socket, packets: list[bytes]) -> None:
    try:
        while True:
            packets.append(sock.recv(2048))
    except TimeoutError:
        pass
