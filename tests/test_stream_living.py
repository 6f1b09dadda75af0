"""The living layer of a stream (core/living_stream.py): blinks, gaze and head motion added to
a real streaming engine's frames as they come, causally, from the seed."""

import numpy as np
import pytest

from voxrig.bridge.cli import SAMPLE_AUDIO
from voxrig.core.audio import load_audio
from voxrig.core.config import IdleConfig
from voxrig.core.emotion.live_voice import VoiceTracker
from voxrig.core.emotion.phrases import PAUSE
from voxrig.core.idle import ACCENT_NOD, BREATH_JAW, BREATH_PAUSE, BREATH_WIDTH
from voxrig.core.living_stream import SPEAKING_JAW, LivingStream
from voxrig.core.names import ARKIT_INDEX
from voxrig.core.streaming import RATE, Frame, StreamingAnimator, stream_frames

FPS = 30.0
BLINK = ARKIT_INDEX["eyeBlinkLeft"]
LOOK_OUT = ARKIT_INDEX["eyeLookOutLeft"]
LOOK_IN = ARKIT_INDEX["eyeLookInLeft"]
JAW = ARKIT_INDEX["jawOpen"]


@pytest.fixture(scope="module")
def spoken() -> list[Frame]:
    """The phonetic streaming engine's frames of the bundled sample, then 3 s of silence."""
    samples = load_audio(SAMPLE_AUDIO).samples
    audio = np.concatenate([samples, np.zeros(3 * RATE, np.float32)])
    return stream_frames(audio, StreamingAnimator(FPS))


def still(seconds: float) -> list[Frame]:
    return [Frame(i, i / FPS, np.zeros(52, np.float32)) for i in range(int(seconds * FPS))]


def living(frames: list[Frame], **options) -> list[Frame]:
    layer = LivingStream(IdleConfig(**options))
    return [layer.apply(f) for f in frames]


def blink_count(frames: list[Frame]) -> int:
    closed = np.array([f.weights[BLINK] > 0.5 for f in frames])
    return int(np.count_nonzero(closed[1:] & ~closed[:-1]) + closed[0])


def test_an_engine_frame_has_a_still_head():
    frame = Frame(0, 0.0, np.zeros(52, np.float32))
    assert frame.head.shape == (3,) and not frame.head.any()


def test_a_frame_is_changed_by_what_came_before_it_only(spoken):
    whole = living(spoken)
    cut = len(spoken) // 2
    prefix = living(spoken[:cut])
    for a, b in zip(prefix, whole[:cut], strict=True):
        np.testing.assert_array_equal(a.weights, b.weights)
        np.testing.assert_array_equal(a.head, b.head)


def test_the_same_seed_gives_the_same_motion_and_another_seed_other_motion(spoken):
    heads = [np.stack([f.head for f in living(spoken, seed=seed)]) for seed in (0, 0, 1)]
    np.testing.assert_array_equal(heads[0], heads[1])
    assert np.abs(heads[0] - heads[2]).max() > 0.1


def test_a_still_face_blinks_at_a_natural_rate():
    minute = living(still(60.0))
    assert 8 <= blink_count(minute) <= 25


def test_the_head_moves_at_least_two_degrees_in_a_minute():
    head = np.stack([f.head for f in living(still(60.0))])
    assert (head.max(axis=0) - head.min(axis=0)).max() >= 2.0


def test_the_eyes_change_where_they_look_at_least_ten_times_a_minute():
    frames = living(still(60.0))
    side = np.sign(np.round([f.weights[LOOK_OUT] - f.weights[LOOK_IN] for f in frames], 2))
    assert np.count_nonzero(np.diff(side)) >= 10


def test_the_mouth_is_the_engines_but_for_a_breaths_parted_lips(spoken):
    eyes = {i for name, i in ARKIT_INDEX.items()
            if name.startswith(("eyeBlink", "eyeLook"))}
    mouth = [i for i in range(52) if i not in eyes and i != JAW]
    for a, b in zip(spoken, living(spoken), strict=True):
        np.testing.assert_array_equal(a.weights[mouth], b.weights[mouth])
        assert 0 <= b.weights[JAW] - a.weights[JAW] <= BREATH_JAW + 1e-6


def test_a_long_pause_takes_one_breath_once_it_has_lasted_the_bakes_breath_pause(spoken):
    jaw = np.array([f.weights[JAW] for f in spoken])
    times = np.array([f.time for f in spoken])
    end = times[np.flatnonzero(jaw > SPEAKING_JAW)[-1]]
    lips = np.array([f.weights[JAW] for f in living(spoken)]) - jaw
    parted = times[lips > 1e-4]
    assert parted.min() >= end + BREATH_PAUSE  # not before the pause has lasted that long
    assert lips.max() == pytest.approx(BREATH_JAW, abs=2e-3)
    assert np.ptp(parted) <= BREATH_WIDTH  # one breath


def test_a_phrase_end_nods_the_head_down_once_the_pause_is_heard(spoken):
    jaw = np.array([f.weights[JAW] for f in spoken])
    end = spoken[int(np.flatnonzero(jaw > SPEAKING_JAW)[-1])].time
    without_drift = [Frame(f.index, f.time, f.weights) for f in spoken]
    nodding = np.stack([f.head for f in living(without_drift)])
    drifting = np.stack([f.head for f in living(still(spoken[-1].time + 1 / FPS))])
    nod = nodding[:, 0] - drifting[: len(spoken), 0]
    times = np.array([f.time for f in spoken])
    heard_at = times[np.flatnonzero(np.abs(nod) > 1e-4)[0] - 1]  # the nod starts a frame later
    heard = (times > heard_at - PAUSE + 1e-6) & (times <= heard_at)
    assert (jaw[heard] <= SPEAKING_JAW).all()  # a nod starts only after a heard pause
    assert nod[times >= end + PAUSE].max() > 1.0


def test_idle_off_leaves_the_stream_as_the_engine_made_it(spoken):
    for a, b in zip(spoken, living(spoken, enabled=False), strict=True):
        assert a is b


def test_the_head_nods_on_each_pitch_accent_the_voice_has_made(spoken):
    voice = VoiceTracker(0.25)
    samples = load_audio(SAMPLE_AUDIO).samples
    for i in range(0, len(samples), 320):
        voice.hear(samples[i:i + 320])
    assert len(voice.accents) >= 5
    with_accents = LivingStream(IdleConfig(), voice)
    nodding = np.stack([with_accents.apply(f).head for f in spoken])
    plain = np.stack([f.head for f in living(spoken)])
    nods = nodding[:, 0] - plain[:, 0]
    times = np.array([f.time for f in spoken])
    delay, width, degrees = ACCENT_NOD
    for accent in voice.accents:
        peak = np.argmin(np.abs(times - (accent + delay + width / 2)))
        assert nods[peak] == pytest.approx(degrees, abs=0.5)  # nods may overlap a little
    first = voice.accents[0] + delay  # a nod starts no earlier than its accent was heard
    assert np.abs(nods[times < first - 1e-6]).max(initial=0.0) < 1e-6
