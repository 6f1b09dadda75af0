from pathlib import Path

import numpy as np

from voxrig.core.bake import bake
from voxrig.core.config import Config, IdleConfig
from voxrig.core.emotion.blend import ROUNDED, bilabial_mask, blend
from voxrig.core.idle import idle_motion
from voxrig.core.names import ARKIT_INDEX
from voxrig.core.phones import Phone

PHONES = [Phone("sil", 0.0, 0.5)] + [Phone(("AA" if i % 2 else "M"), 0.5 + 0.2 * i,
                                           0.7 + 0.2 * i) for i in range(20)] + [
    Phone("sil", 4.5, 6.5)] + [Phone("AA", 6.5 + 0.2 * i, 6.7 + 0.2 * i)
                               for i in range(15)] + [Phone("sil", 9.5, 60.0)]


def _blinks(weights):
    b = weights[:, ARKIT_INDEX["eyeBlinkLeft"]]
    return int(np.sum((b[1:] > 0.5) & (b[:-1] <= 0.5)))


def test_blink_rate_is_natural_and_the_same_seed_gives_the_same_motion():
    a = idle_motion(60.0, 30.0, PHONES, None, IdleConfig(seed=3))
    assert 10 <= _blinks(a.weights) <= 25
    b = idle_motion(60.0, 30.0, PHONES, None, IdleConfig(seed=3))
    assert np.array_equal(a.weights, b.weights) and np.array_equal(a.head, b.head)
    c = idle_motion(60.0, 30.0, PHONES, None, IdleConfig(seed=4))
    assert not np.array_equal(a.weights, c.weights)


def test_blinks_close_faster_than_they_open():
    w = idle_motion(60.0, 100.0, PHONES, None, IdleConfig()).weights[:, 0]
    rising = np.sum(np.diff(w) > 0.01)
    falling = np.sum(np.diff(w) < -0.01)
    assert falling > 1.5 * rising


def test_idle_off_or_strength_zero_is_still():
    for config in (IdleConfig(enabled=False), IdleConfig(strength=0.0)):
        m = idle_motion(10.0, 30.0, PHONES, None, config)
        assert not m.weights.any() and not m.head.any()


def test_head_nods_at_phrase_ends_and_rises_for_a_breath_in_a_long_pause():
    m = idle_motion(12.0, 100.0, PHONES, None, IdleConfig(strength=1.0))
    pitch = m.head[:, 0]
    assert pitch[440:470].max() > pitch[300:400].max()  # the nod after the phrase end at 4.5 s
    assert pitch[520:580].min() < -0.3  # a breath in the 2 s pause lifts the head


def test_expression_never_opens_a_bilabial_closure():
    times = np.arange(100) / 100.0
    base = np.zeros((100, 52), np.float32)
    extra = np.zeros((100, 52), np.float32)
    extra[:, ARKIT_INDEX["mouthSmileLeft"]] = 0.9
    extra[:, ARKIT_INDEX["browInnerUp"]] = 0.5
    mask = bilabial_mask([Phone("M", 0.4, 0.5)], times)
    out = blend(base, extra, mask, mouth_limit=0.35)
    assert out[45, ARKIT_INDEX["mouthSmileLeft"]] == 0.0
    assert np.isclose(out[10, ARKIT_INDEX["mouthSmileLeft"]], 0.35)
    assert np.allclose(out[:, ARKIT_INDEX["browInnerUp"]], 0.5)


SAMPLE = Path(__file__).parent.parent / "bridge" / "samples" / "LJ001-0001.flac"


def test_bake_adds_head_motion_blinks_and_an_emotion_track_to_speech():
    sample_audio = SAMPLE
    clip = bake(sample_audio, "[happy] Printing, in the only sense with which we are at "
                "present concerned, differs from most if not from all the arts and crafts "
                "represented in the Exhibition")
    assert clip.head is not None and np.ptp(clip.head[:, 0]) > 1.0
    assert clip.emotion_names[1] == "happy" and clip.emotion[:, 1].mean() > 0.9
    assert clip.channel("mouthSmileLeft").max() > 0.2
    config = Config()
    config.emotion.mode, config.idle.enabled = "none", False
    still = bake(sample_audio, None, config)
    assert still.head is None and still.emotion is None


def test_a_smile_gives_way_to_rounded_lips():
    times = np.arange(100) / 100.0
    extra = np.zeros((100, 52), np.float32)
    extra[:, ARKIT_INDEX["mouthSmileLeft"]] = 0.3
    rounding = bilabial_mask([Phone("UW", 0.4, 0.6)], times, labels=ROUNDED)
    out = blend(np.zeros((100, 52), np.float32), extra, np.zeros(100), 0.35, rounding)
    assert out[50, ARKIT_INDEX["mouthSmileLeft"]] == 0.0
    assert np.isclose(out[5, ARKIT_INDEX["mouthSmileLeft"]], 0.3)
