"""Rules pass: every phone has an anatomically sensible target pose on the ICT rig."""

import numpy as np
import pytest

from voxrig.core.animator.poses import (
    CHANNEL_GROUP,
    DIPHTHONGS,
    GROUPS,
    LABELS,
    POSES,
    dominance_matrix,
    pose_matrix,
)
from voxrig.core.names import ARKIT_INDEX, ARPABET, SILENCE
from voxrig.core.rig import mouth_signals

NEUTRAL_WIDTH = 50.70


def signals(label: str) -> tuple[float, float]:
    gap, width = mouth_signals(pose_matrix()[[LABELS.index(label)]].astype(np.float32))
    return float(gap[0]), float(width[0])


def test_every_arpabet_phone_and_silence_has_a_pose():
    assert set(POSES) == set(ARPABET) | {SILENCE}
    for first, second in DIPHTHONGS.values():
        assert first in POSES and second in POSES


def test_poses_are_valid_weights_on_mouth_channels_only():
    m = pose_matrix()
    assert m.min() >= 0 and m.max() <= 1
    undriven = CHANNEL_GROUP < 0
    assert np.all(m[:, undriven] == 0)


def test_silence_is_the_neutral_face():
    assert np.all(pose_matrix()[LABELS.index(SILENCE)] == 0)


@pytest.mark.parametrize("phone", ["P", "B", "M"])
def test_bilabials_seal_the_lips_with_mouth_close_matching_the_jaw(phone):
    pose = POSES[phone]
    assert pose["mouthClose"] >= pose["jawOpen"]
    assert signals(phone)[0] == 0.0


@pytest.mark.parametrize("phone", ["F", "V"])
def test_labiodentals_tuck_the_lower_lip_nearly_shut(phone):
    assert POSES[phone]["mouthRollLower"] > 0.2
    assert signals(phone)[0] < 2.0


def test_jaw_opens_by_vowel_height():
    jaw = {v: POSES[v]["jawOpen"] for v in ("AA", "AE", "AH", "EH", "IH", "IY", "UW")}
    assert jaw["AA"] > jaw["EH"] > jaw["IH"] > jaw["IY"]
    assert min(jaw["AA"], jaw["AE"], jaw["AH"]) > max(jaw["IH"], jaw["IY"], jaw["UW"])


@pytest.mark.parametrize("vowel", ["AA", "AE", "AH", "AO"])
def test_open_vowels_open_the_lips_at_least_6_mm(vowel):
    assert signals(vowel)[0] >= 6.0


@pytest.mark.parametrize("vowel", ["IY", "IH", "UW", "UH", "EH", "ER"])
def test_every_vowel_parts_the_lips_beyond_rest(vowel):
    assert signals(vowel)[0] > 3.0


@pytest.mark.parametrize("phone", ["UW", "OW", "W", "UH", "ER", "SH", "CH", "R"])
def test_rounded_sounds_narrow_the_mouth(phone):
    label = DIPHTHONGS[phone][1] if phone in DIPHTHONGS else phone
    assert signals(label)[1] <= NEUTRAL_WIDTH - 3.0


@pytest.mark.parametrize("phone", ["IY", "IH", "EH", "EY", "AE"])
def test_spread_vowels_widen_the_mouth(phone):
    assert signals(phone)[1] > NEUTRAL_WIDTH + 2.0


def test_th_shows_the_tongue_and_l_opens_the_jaw_more_than_t():
    assert POSES["TH"]["tongueOut"] > 0.2
    assert POSES["L"]["jawOpen"] > POSES["T"]["jawOpen"]


def test_labials_dominate_the_lips_and_vowels_the_jaw():
    dom = dominance_matrix()
    jaw, lips, rnd = GROUPS.index("jaw"), GROUPS.index("lips"), GROUPS.index("round")
    row = {label: dom[LABELS.index(label)] for label in ("P", "AA", "S", "W", "K")}
    assert row["P"][lips] > 2 * row["AA"][lips]
    assert row["AA"][jaw] > row["K"][jaw]
    # rounding spreads over consonants made inside the mouth
    assert row["W"][rnd] > 5 * row["S"][rnd]


def test_channel_groups_cover_the_mouth():
    for name in ("jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthSmileLeft",
                 "mouthRollLower", "tongueOut"):
        assert CHANNEL_GROUP[ARKIT_INDEX[name]] >= 0
    assert CHANNEL_GROUP[ARKIT_INDEX["eyeBlinkLeft"]] == -1
