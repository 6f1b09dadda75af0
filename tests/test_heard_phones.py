"""Heard phones finish the shapes a predicted mouth half makes, and only those: a heard P/B/M
seals lips that nearly meet, a heard UW/OW/W rounds a mouth that already narrows, and neither
touches a mouth that says otherwise. On a real voice (real pocketsphinx) the bake without a
transcript gains closures and keeps its open vowels."""

import numpy as np
import pytest

from voxrig.bridge.cli import SAMPLE_AUDIO
from voxrig.core.animator.heard import CLOSING_MM, ROUND_SHARE, sharpen
from voxrig.core.bake import bake
from voxrig.core.config import AnimatorConfig, Config
from voxrig.core.names import ARKIT_INDEX
from voxrig.core.phones import Phone
from voxrig.core.rig import mouth_signals

RATE = 100.0
JAW, PUCKER, SMILE = (ARKIT_INDEX[n] for n in ("jawOpen", "mouthPucker", "mouthSmileLeft"))
REST_GAP, REST_WIDTH = (float(v[0]) for v in mouth_signals(np.zeros((1, 52), np.float32)))


def mouth(**channels: float) -> np.ndarray:
    """One second at 100 Hz holding these channels, with the jaw at 0.2 around it."""
    w = np.zeros((100, 52), np.float32)
    w[:, JAW] = 0.2
    for name, value in channels.items():
        w[40:60, ARKIT_INDEX[name]] = value
    return w


def heard(label: str) -> list[Phone]:
    return [Phone(label, 0.45, 0.55)]  # inside the held shape, with the search around it


def test_a_heard_bilabial_seals_lips_that_nearly_meet():
    w = mouth(jawOpen=0.08)
    gap_before = mouth_signals(w)[0][45:55].min()
    assert REST_GAP < gap_before <= CLOSING_MM
    gap_after = mouth_signals(sharpen(w, RATE, heard("M"), AnimatorConfig()))[0]
    assert gap_after[47:54].max() <= 1.0  # sealed over the hold, ramps either side
    assert gap_after[:30] == pytest.approx(mouth_signals(w)[0][:30])  # nothing else moves


def test_a_heard_bilabial_leaves_a_wide_open_vowel_alone():
    w = mouth(jawOpen=0.35)
    assert mouth_signals(w)[0][45:55].min() > CLOSING_MM
    assert np.array_equal(sharpen(w, RATE, heard("B"), AnimatorConfig()), w)


def test_a_heard_rounding_rounds_a_mouth_that_narrows():
    w = mouth(mouthPucker=0.15)
    narrowed = REST_WIDTH - mouth_signals(w)[1][45:55].min()
    assert 0.5 <= narrowed < 3.0  # narrower, but not yet read as rounded
    out = sharpen(w, RATE, heard("UW"), AnimatorConfig())
    # half of UW's own pucker (animator/poses.py: 0.65)
    assert out[50, PUCKER] == pytest.approx(ROUND_SHARE * 0.65)
    assert REST_WIDTH - mouth_signals(out)[1][45:55].min() >= narrowed + 1.0


def test_a_heard_rounding_leaves_a_spread_mouth_alone():
    w = mouth(mouthSmileLeft=0.4, mouthSmileRight=0.4)
    assert mouth_signals(w)[1][45:55].min() > REST_WIDTH
    assert np.array_equal(sharpen(w, RATE, heard("OW"), AnimatorConfig()), w)


def test_a_heard_rounding_keeps_closed_lips_closed():
    w = mouth(jawOpen=0.02)  # lips together (a P the recogniser took for a W)
    assert mouth_signals(w)[0][40:60].max() <= 2.0
    out = sharpen(w, RATE, heard("W"), AnimatorConfig())
    assert mouth_signals(out)[0][40:60].max() <= 2.0


def test_other_heard_phones_and_no_phones_change_nothing():
    w = mouth(jawOpen=0.08)
    for phones in ([], heard("AA"), heard("S"), heard("sil")):
        assert np.array_equal(sharpen(w, RATE, phones, AnimatorConfig()), w)


@pytest.fixture(scope="module")
def bakes():
    def lips(heard: bool):
        config = Config(engine="neural")
        config.emotion.mode, config.idle.enabled = "none", False
        config.animator.heard_phones = heard
        return bake(SAMPLE_AUDIO, config=config).weights

    return lips(True), lips(False)


def test_a_bake_without_transcript_seals_more_of_what_it_hears(bakes):
    with_heard, alone = bakes
    shut_with, shut_alone = (np.count_nonzero(mouth_signals(w)[0] <= 2.0) for w in bakes)
    assert shut_with > shut_alone
    # only closing and rounding: the open vowels keep their opening
    gap_with, gap_alone = mouth_signals(with_heard)[0], mouth_signals(alone)[0]
    assert np.percentile(gap_with, 95) >= 0.9 * np.percentile(gap_alone, 95)
    assert np.array_equal(with_heard[:, SMILE], alone[:, SMILE])
