"""`voxrig stream --listen` (core/listening_stream.py): the avatar listens to the audio with
its lips still, nods after the speaker's phrases, smiles at a positive line, raises its
brows at a question, blinks and keeps its gaze on the speaker. Real engine, real audio, a
real UDP receiver."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from voxrig.bridge.cli import SAMPLE_AUDIO
from voxrig.bridge.live.protocols import Encoder
from voxrig.core.audio import load_audio
from voxrig.core.config import IdleConfig
from voxrig.core.emotion.phrases import PAUSE
from voxrig.core.live_face import listener_face, live_frames
from voxrig.core.names import ARKIT52, ARKIT_INDEX
from voxrig.core.neural import NeuralStreamingAnimator
from voxrig.core.streaming import RATE, SPEAKING_JAW, Frame, stream_frames

VOXRIG = Path(sys.executable).with_name("voxrig")
FPS = 30.0
JAW = ARKIT_INDEX["jawOpen"]
SMILE = ARKIT_INDEX["mouthSmileLeft"]
BROWS = ARKIT_INDEX["browInnerUp"]
BLINK = ARKIT_INDEX["eyeBlinkLeft"]
MOUTH = [i for i, n in enumerate(ARKIT52) if n.startswith(("jaw", "mouth", "tongue"))
         and not n.startswith("mouthSmile")]


@pytest.fixture(scope="module")
def heard() -> np.ndarray:
    """3 s of the speaker, then 2 s of silence."""
    speech = load_audio(SAMPLE_AUDIO).samples[: 3 * RATE]
    return np.concatenate([speech, np.zeros(2 * RATE, np.float32)])


@pytest.fixture(scope="module")
def speaker(heard) -> list[Frame]:
    return stream_frames(heard, NeuralStreamingAnimator(FPS))


def listen(heard: np.ndarray, lines: dict[float, str] | None = None) -> list[Frame]:
    face = listener_face(IdleConfig(listen=True))
    return live_frames(heard, NeuralStreamingAnimator(FPS), face, lines=lines)


def last_speech(frames: list[Frame]) -> float:
    return frames[int(np.flatnonzero([f.speaking for f in frames])[-1])].time


def test_the_listeners_lips_stay_still_while_the_speaker_talks(heard, speaker):
    assert max(f.weights[JAW] for f in speaker) > 0.15  # the speaker's mouth moves
    frames = listen(heard)
    assert max(f.weights[JAW] for f in frames) <= 0.05
    assert np.abs(np.stack([f.weights[MOUTH] for f in frames])).max() == 0.0


def test_the_listener_nods_once_the_speakers_pause_is_heard(heard, speaker):
    end = last_speech(speaker)
    frames = listen(heard)
    times = np.array([f.time for f in frames])
    pitch = np.array([f.head[0] for f in frames])
    assert pitch[(times > end + PAUSE) & (times < end + 1.2)].max() > 3.0
    assert pitch[times <= end + PAUSE].max() < 1e-6 or \
        (times[pitch > 1e-6] > end - 2.5).all()  # earlier nods only after earlier pauses


def test_a_positive_line_makes_the_listener_smile_and_no_line_does_not(heard):
    quiet = np.array([f.weights[SMILE] for f in listen(heard)])
    happy = np.array([f.weights[SMILE] for f in
                      listen(heard, {0.0: "That is wonderful news, I love it!"})])
    assert quiet.max() == 0.0
    assert happy[int(0.8 * FPS): int(2.8 * FPS)].min() > 0.3


def test_a_question_raises_the_listeners_brows_after_it_is_asked(heard, speaker):
    end = last_speech(speaker)
    asked = listen(heard, {0.0: "Where did you put the keys?"})
    times = np.array([f.time for f in asked])
    brows = np.array([f.weights[BROWS] for f in asked])
    assert brows[times < end].max() == 0.0
    assert brows[times > end + PAUSE].max() > 0.4


def test_the_listener_blinks_and_looks_at_the_speaker(heard):
    frames = listen(np.concatenate([heard, np.zeros(10 * RATE, np.float32)]))
    assert max(f.weights[BLINK] for f in frames) > 0.9
    look = np.stack([f.weights[[ARKIT_INDEX["eyeLookOutLeft"], ARKIT_INDEX["eyeLookInLeft"]]]
                     for f in frames])
    assert 0 < look.max() < 0.5  # attentive: small movements near the speaker


@pytest.mark.slow
def test_every_frame_a_receiver_gets_in_listening_mode_keeps_the_jaw_shut(heard, tmp_path):
    from test_live_receivers import PythonOscReceiver, counters

    clip = tmp_path / "speaker.wav"
    sf.write(clip, heard, RATE, subtype="FLOAT")
    with PythonOscReceiver() as receiver:
        done = subprocess.run(
            [str(VOXRIG), "stream", "--input", str(clip), "--listen", "--protocol", "generic",
             "--port", str(receiver.port), "--speed", "2"],
            capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        sent = counters(done.stderr)[0]
        messages = receiver.wait_for(sent * Encoder("generic").messages_per_frame)
    frames = [args for address, args in messages if address == "/voxrig/frame"]
    assert len(frames) == sent > 0.9 * 5 * 60
    jaw = np.array([args[2 + JAW] for args in frames])
    assert jaw.max() <= 0.05
    speaking = max(f.weights[JAW] for f in stream_frames(heard, NeuralStreamingAnimator(60.0)))
    assert speaking > SPEAKING_JAW * 3  # the audio is speech the mouth would have followed
