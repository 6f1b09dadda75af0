"""Emotion in a stream (core/emotion/live.py, core/emotion/live_voice.py): `--emotion` tags
and timelines by stream time, the voice's arousal from the audio heard so far, and the
mouth-only stream with `--emotion none --idle off`. Real engine, real audio."""

import json

import numpy as np
import pytest

from voxrig.bridge.cli import SAMPLE_AUDIO, main
from voxrig.core.audio import load_audio
from voxrig.core.config import EmotionConfig, IdleConfig
from voxrig.core.emotion.live import LiveEmotion
from voxrig.core.emotion.live_voice import BATCH, VoiceTracker
from voxrig.core.emotion.tags import Segment, Tag
from voxrig.core.emotion.voice import pitch_track, prosody
from voxrig.core.features import loudness_db
from voxrig.core.idle import pitch_accents
from voxrig.core.live_face import LiveFace, live_frames
from voxrig.core.living_stream import LivingStream
from voxrig.core.names import ARKIT_INDEX
from voxrig.core.neural import NeuralStreamingAnimator
from voxrig.core.streaming import RATE

FPS = 30.0
SMILE = ARKIT_INDEX["mouthSmileLeft"]
BROW_DOWN = ARKIT_INDEX["browDownLeft"]


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return load_audio(SAMPLE_AUDIO).samples


def stream(samples: np.ndarray, *layers) -> np.ndarray:
    """(T, 52) weights of a real neural stream of `samples` with `layers` on top."""
    frames = live_frames(samples, NeuralStreamingAnimator(FPS), LiveFace(*layers))
    return np.stack([f.weights for f in frames])


def emotion(timeline=None, tag=None, mode="auto") -> LiveEmotion:
    return LiveEmotion(EmotionConfig(mode=mode), timeline, tag)


def heard_in_blocks(samples: np.ndarray, block: int = 320) -> VoiceTracker:
    voice = VoiceTracker(0.25)
    for i in range(0, len(samples), block):
        voice.hear(samples[i:i + block])
    return voice


def test_the_voice_heard_live_has_the_bakes_pitch_and_loudness(speech):
    voice = heard_in_blocks(speech)
    assert voice.hops >= len(speech) // 160 - 2 - BATCH
    np.testing.assert_array_equal(voice.f0, pitch_track(speech, RATE)[:voice.hops])
    np.testing.assert_allclose(voice.db, loudness_db(speech, RATE)[:voice.hops],
                               atol=1e-9)


def test_a_steps_arousal_is_judged_from_the_audio_heard_by_its_end(speech):
    whole = heard_in_blocks(speech)
    half = heard_in_blocks(speech[: len(speech) // 2])
    steps = int(len(speech) / 2 / RATE / 0.25) - 1
    assert steps > 10
    for k in range(1, steps):
        assert half.arousal_at(k * 0.25) == whole.arousal_at(k * 0.25)
    assert len({whole.arousal_at(k * 0.25) for k in range(1, steps)}) > 5  # it varies


def test_the_voice_is_judged_the_same_however_the_audio_is_cut(speech):
    small, large = heard_in_blocks(speech, 320), heard_in_blocks(speech, 4321)
    steps = np.arange(0.25, 9.0, 0.25)
    assert [small.arousal_at(t) for t in steps] == [large.arousal_at(t) for t in steps]
    assert small.accents == large.accents


def test_a_voice_that_grows_louder_is_judged_more_aroused(speech):
    calm = speech[: 5 * RATE] * 0.25
    loud = speech[: 5 * RATE]
    voice = heard_in_blocks(np.concatenate([calm, loud]))
    before = np.mean([voice.arousal_at(t) for t in np.arange(2.0, 5.0, 0.25)])
    after = np.mean([voice.arousal_at(t) for t in np.arange(5.5, 7.5, 0.25)])
    assert after > before + 0.2


def test_without_any_audio_the_arousal_is_the_voices_usual():
    assert VoiceTracker(0.25).arousal_at(3.0) == 0.5


def test_emotion_none_and_idle_off_stream_the_engines_own_frames(speech):
    plain = stream(speech[: 3 * RATE])
    layered = stream(speech[: 3 * RATE], emotion(mode="none"),
                     LivingStream(IdleConfig(enabled=False)))
    np.testing.assert_array_equal(plain, layered)


def test_a_tag_shows_its_emotion_from_the_start(speech):
    plain = stream(speech[: 3 * RATE])
    happy = stream(speech[: 3 * RATE], emotion(tag=Tag(0, "happy", 1.0)))
    assert (happy[int(0.3 * FPS):, SMILE] - plain[int(0.3 * FPS):, SMILE] > 0.3).all()


def test_a_tags_intensity_scales_its_expression(speech):
    strong = stream(speech[: 2 * RATE], emotion(tag=Tag(0, "angry", 1.0)))
    weak = stream(speech[: 2 * RATE], emotion(tag=Tag(0, "angry", 0.3)))
    late = slice(int(0.5 * FPS), None)
    assert strong[late, BROW_DOWN].mean() > 2.5 * weak[late, BROW_DOWN].mean() > 0


def test_a_timeline_changes_the_expression_at_its_stream_time(speech):
    angry = stream(speech[: 4 * RATE], emotion(timeline=[Segment(1.5, 3.0, "angry", 1.0)]))
    times = np.arange(len(angry)) / FPS
    assert angry[times < 1.4, BROW_DOWN].max() < 0.05
    assert angry[(times > 1.8) & (times < 3.0), BROW_DOWN].min() > 0.5
    assert angry[times > 3.4, BROW_DOWN].max() < 0.05  # eased out within a step


def test_an_expression_adds_no_more_to_the_mouth_than_the_bakes_limit(speech):
    plain = stream(speech[: 2 * RATE])
    happy = stream(speech[: 2 * RATE], emotion(tag=Tag(0, "happy", 1.0)))
    limit = EmotionConfig().mouth_limit
    assert (happy[:, SMILE] - plain[:, SMILE]).max() <= limit + 1e-6


@pytest.mark.parametrize("value, message", [
    ("bored", "--emotion 'bored' is not an emotion (use auto, none, one of neutral, happy"),
    ("happy:2", "emotion tag intensity must be in [0, 1], got [happy:2]"),
    ("missing.json", "emotion timeline 'missing.json': file not found"),
])
def test_a_bad_emotion_is_a_one_line_error_before_streaming(value, message, capsys,
                                                            tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["stream", "--input", str(SAMPLE_AUDIO), "--emotion", value]) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_a_timeline_file_that_is_not_one_is_refused_as_bake_refuses_it(capsys, tmp_path):
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"format": "voxrig.emotion", "segments": [{"start": 1}]}))
    assert main(["stream", "--input", str(SAMPLE_AUDIO), "--emotion", str(wrong)]) == 1
    assert "segment 0 needs numeric start and end" in capsys.readouterr().err


def test_the_voice_heard_live_finds_the_bakes_pitch_accents(speech):
    live = heard_in_blocks(speech).accents
    baked = pitch_accents(prosody(speech, RATE))
    assert len(baked) >= 5
    found = [a for a in baked if min(abs(np.array(live) - a)) < 0.011]
    assert len(found) >= 0.8 * len(baked) and len(live) <= 1.25 * len(baked)


def test_a_pitch_accent_is_found_from_the_audio_heard_by_then(speech):
    whole = heard_in_blocks(speech).accents
    half = heard_in_blocks(speech[: len(speech) // 2]).accents
    assert half == [a for a in whole if a < len(speech) / 2 / RATE - 0.05]
