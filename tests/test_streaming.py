"""The streaming engine: audio in chunks, frames out a fixed look-ahead later, each frame once
and in order, resembling the offline bake of the same audio (phonetic animator over a
sliding window, real pocketsphinx)."""

import numpy as np
import pytest

from voxrig.bridge.cli import SAMPLE_AUDIO
from voxrig.core.audio import load_audio
from voxrig.core.bake import bake
from voxrig.core.config import Config
from voxrig.core.names import ARKIT_INDEX
from voxrig.core.rig import mouth_signals
from voxrig.core.streaming import (
    RATE,
    StreamConfig,
    StreamingAnimator,
    stream_array,
    stream_frames,
)

JAW = ARKIT_INDEX["jawOpen"]


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return load_audio(SAMPLE_AUDIO).samples


@pytest.fixture(scope="module")
def streamed(speech) -> np.ndarray:
    return stream_array(speech, 60.0)


def test_every_frame_comes_once_in_order_stamped_with_its_audio_time(speech):
    engine = StreamingAnimator(60.0)
    frames = []
    for i in range(0, len(speech), 320):
        frames += engine.push(speech[i:i + 320])
    frames += engine.finish()
    assert [f.index for f in frames] == list(range(len(frames)))
    assert all(f.time == pytest.approx(f.index / 60.0) for f in frames)
    assert len(frames) == int(np.floor(len(speech) / RATE * 60.0)) + 1
    assert all(f.weights.shape == (52,) and f.weights.dtype == np.float32 for f in frames)
    assert all(f.weights.min() >= 0.0 and f.weights.max() <= 1.0 for f in frames)


def test_a_frame_is_only_emitted_once_its_look_ahead_of_audio_has_arrived(speech):
    config = StreamConfig()
    engine = StreamingAnimator(60.0, config)
    for i in range(0, len(speech), 320):
        for frame in engine.push(speech[i:i + 320]):
            assert frame.time <= engine.received_seconds - config.delay + 1e-9
    # ... and never much later: the newest frame trails the audio by at most delay + hop.
        if engine.received_seconds > 1.0 and engine._next_frame > 0:
            newest = (engine._next_frame - 1) / 60.0
            assert engine.received_seconds - newest <= engine.latency + 0.02 + 1 / 60


def test_streamed_frames_resemble_the_offline_bake_of_the_same_audio(streamed):
    offline = bake(SAMPLE_AUDIO, None, Config(fps=60.0, engine="phonetic")).weights
    n = min(len(offline), len(streamed))
    assert abs(len(offline) - len(streamed)) <= 1
    gap_offline, _ = mouth_signals(offline[:n])
    gap_stream, _ = mouth_signals(streamed[:n])
    r = np.corrcoef(gap_offline, gap_stream)[0, 1]
    assert r >= 0.85, r


def test_speech_opens_the_mouth_and_closes_it_for_bilabials(streamed):
    gap, _ = mouth_signals(streamed)
    assert gap.max() >= 6.0  # open vowels
    speaking = gap[int(0.5 * 60):int(9.0 * 60)]
    assert (speaking <= 2.0).sum() >= 3  # lips meet during speech (P/B/M, pauses)


def test_silence_leaves_the_face_at_rest():
    quiet = (np.random.default_rng(0).standard_normal(3 * RATE) * 1e-4).astype(np.float32)
    weights = stream_array(quiet, 30.0)
    gap, _ = mouth_signals(weights)
    assert gap.max() <= 2.0  # the metrics' "rest": lips together or barely apart
    assert weights[:, JAW].max() <= 0.05


def test_long_input_keeps_following_the_speech_after_the_decoder_restarts(speech):
    pause = np.zeros(RATE // 2, dtype=np.float32)
    long = np.concatenate([speech, pause, speech])  # ~20 s: the decoder restarts on the way
    engine = StreamingAnimator(30.0)
    streamed = np.stack([f.weights for f in stream_frames(long, engine)])
    assert engine.restarts >= 1
    once = stream_array(speech, 30.0)
    n = len(once)
    second = int(round((len(speech) + len(pause)) / RATE * 30.0))
    gap_once, _ = mouth_signals(once)
    gap_second, _ = mouth_signals(streamed[second:second + n])
    m = min(len(gap_once), len(gap_second))
    assert np.corrcoef(gap_once[:m], gap_second[:m])[0, 1] >= 0.8


def test_push_after_finish_is_a_programming_error(speech):
    engine = StreamingAnimator(30.0)
    engine.push(speech[:RATE])
    engine.finish()
    assert engine.finish() == []
    with pytest.raises(RuntimeError):
        engine.push(speech[:RATE])
