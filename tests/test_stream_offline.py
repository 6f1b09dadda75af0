"""Streamed = offline for the living layer: a stream of the bundled sample (then 20 s of
silence) and a bake of the same audio with the same options and seed have the same blinks,
gaze and head motion, channel by channel within 0.02, except what only look-ahead could know
(docs/live.md, "Streamed and baked"): the head's pitch while the bake's pitch accents, phrase-
end nods and breaths differ from the stream's, and the roll and the blinks near each path's
phrase ends (the stream knows a phrase end PAUSE s late and from the mouth, not the phones)."""

import numpy as np
import pytest
import soundfile as sf

from voxrig.bridge.cli import SAMPLE_AUDIO
from voxrig.core.audio import load_audio
from voxrig.core.bake import bake
from voxrig.core.config import Config, EmotionConfig, IdleConfig
from voxrig.core.emotion.phrases import PAUSE, pauses, speech_phrases
from voxrig.core.idle import BREATH_PAUSE, BREATH_WIDTH
from voxrig.core.live_face import live_frames, speaker_face
from voxrig.core.names import ARKIT52
from voxrig.core.neural import NeuralStreamingAnimator
from voxrig.core.phones import Phone
from voxrig.core.streaming import RATE

pytestmark = pytest.mark.slow  # two bakes and two streams of 30 s

FPS = 30.0
TOLERANCE = 0.02
BLINKS = [i for i, n in enumerate(ARKIT52) if n.startswith("eyeBlink")]
GAZE = [i for i, n in enumerate(ARKIT52) if n.startswith("eyeLook")]
PITCH, YAW, ROLL = 0, 1, 2
AFTER_PHRASE = 2.0  # s after a phrase end that its nod, tilt and blink can reach


@pytest.fixture(scope="module")
def audio(tmp_path_factory):
    samples = np.concatenate([load_audio(SAMPLE_AUDIO).samples,
                              np.zeros(20 * RATE, np.float32)])
    path = tmp_path_factory.mktemp("offline") / "sample-then-silence.wav"
    sf.write(path, samples, RATE, subtype="FLOAT")
    return path, samples


def baked(path, idle: bool):
    config = Config(fps=FPS)
    config.idle.enabled = idle
    return bake(path, config=config)


def streamed(samples, idle: bool):
    face = speaker_face(EmotionConfig(), IdleConfig(enabled=idle))
    return live_frames(samples, NeuralStreamingAnimator(FPS), face)


@pytest.fixture(scope="module")
def both(audio):
    """(times, bake's layer weights, stream's, bake's head, stream's, bake's clip, stream's
    frames): each path's living layer alone, its frames with idle motion minus without."""
    path, samples = audio
    clip, still_clip = baked(path, True), baked(path, False)
    frames, still_frames = streamed(samples, True), streamed(samples, False)
    n = min(len(clip.weights), len(frames))
    weights = np.stack([f.weights for f in frames])
    still = np.stack([f.weights for f in still_frames])
    return (np.arange(n) / FPS, (clip.weights - still_clip.weights)[:n],
            (weights - still)[:n], clip.head[:n], np.stack([f.head for f in frames])[:n],
            clip, frames)


def phrase_ends(clip, frames) -> list[float]:
    """Where either path saw a phrase end: the bake's from its phones, the stream's from
    the mouth."""
    phones = [Phone(label, start, end) for label, start, end in clip.meta["phones"]]
    ends = [ph.end for ph in speech_phrases(phones)]
    speaking = [f.time for f in frames if f.speaking]
    ends += [a for a, b in zip(speaking, speaking[1:], strict=False) if b - a >= PAUSE]
    return ends + speaking[-1:]


def outside(times: np.ndarray, windows: list[tuple[float, float]]) -> np.ndarray:
    keep = np.ones(times.size, bool)
    for a, b in windows:
        keep &= (times < a) | (times > b)
    return keep


def test_the_gaze_of_a_stream_is_the_gaze_of_the_bake(both):
    times, bake_w, stream_w, *_ = both
    assert np.abs(bake_w[:, GAZE]).max() > 0.1  # the eyes do move
    np.testing.assert_allclose(stream_w[:, GAZE], bake_w[:, GAZE], atol=TOLERANCE)


def test_the_head_yaw_of_a_stream_is_the_bakes(both):
    times, _, _, bake_head, stream_head, *_ = both
    assert np.ptp(bake_head[:, YAW]) > 1.0
    np.testing.assert_allclose(stream_head[:, YAW], bake_head[:, YAW], atol=TOLERANCE)


def test_blinks_are_the_bakes_away_from_phrase_ends(both):
    times, bake_w, stream_w, _, _, clip, frames = both
    keep = outside(times, [(e - 0.1, e + AFTER_PHRASE) for e in phrase_ends(clip, frames)])
    assert keep.mean() > 0.7 and (bake_w[keep][:, BLINKS] > 0.9).any()  # blinks compared
    np.testing.assert_allclose(stream_w[keep][:, BLINKS], bake_w[keep][:, BLINKS],
                               atol=TOLERANCE)


def test_head_roll_is_the_bakes_once_the_phrase_end_tilts_are_over(both):
    times, _, _, bake_head, stream_head, clip, frames = both
    last = max(phrase_ends(clip, frames))
    keep = times > last + AFTER_PHRASE
    assert keep.sum() > 15 * FPS
    np.testing.assert_allclose(stream_head[keep, ROLL], bake_head[keep, ROLL], atol=TOLERANCE)


def test_head_pitch_is_the_bakes_outside_speech_nods_and_breaths(both):
    times, _, _, bake_head, stream_head, clip, frames = both
    last = max(phrase_ends(clip, frames))
    phones = [Phone(label, start, end) for label, start, end in clip.meta["phones"]]
    breaths = [((a + b) / 2 - BREATH_WIDTH / 2, (a + b) / 2 + BREATH_WIDTH / 2)
               for a, b in pauses(phones, BREATH_PAUSE)]
    heard = last + BREATH_PAUSE  # the stream's breath: once the pause has lasted that long
    keep = outside(times, [*breaths, (heard, heard + BREATH_WIDTH)]) & \
        (times > last + AFTER_PHRASE)
    assert keep.sum() > 10 * FPS
    np.testing.assert_allclose(stream_head[keep, PITCH], bake_head[keep, PITCH],
                               atol=TOLERANCE)
