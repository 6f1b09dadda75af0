"""Guessing which voxrig channel drives which shape key of a character."""

import json

import pytest

from voxrig.core.channel_names import MappingError, parse_mapping
from voxrig.core.names import ARKIT52
from voxrig.core.rig import load_rig
from voxrig.core.shape_keys import match_shape_key, match_shape_keys, table_to_mapping


def test_every_ict_demo_head_key_is_matched_to_its_arkit_channel():
    table = match_shape_keys(load_rig().expression_names)
    assert len(table) == 53
    assert table["eyeBlink_L"] == "eyeBlinkLeft"
    assert table["mouthSmile_R"] == "mouthSmileRight"
    assert table["browInnerUp_L"] == table["browInnerUp_R"] == "browInnerUp"
    assert table["jawLeft"] == "jawLeft"


@pytest.mark.parametrize("name", ["eyeBlinkLeft", "EyeBlinkLeft", "EYEBLINKLEFT", "eyeBlink_L",
                                  "eye_blink.l", "eyeBlink Left", "eyeBlink-left",
                                  "blendShape1.eyeBlinkLeft", "Face|EyeBlink_L"])
def test_arkit_names_match_in_any_case_and_side_spelling(name):
    assert match_shape_key(name) == "eyeBlinkLeft"


def test_ready_player_me_vrchat_and_vrm_visemes_match_ovr_visemes():
    assert match_shape_key("viseme_aa") == "viseme:aa"
    assert match_shape_key("viseme_PP") == "viseme:PP"
    assert match_shape_key("viseme_U") == "viseme:ou"
    assert match_shape_key("vrc.v_oh") == "viseme:oh"
    assert [match_shape_key(n) for n in "AIUEO"] == [
        "viseme:aa", "viseme:ih", "viseme:ou", "viseme:E", "viseme:oh"]
    assert match_shape_key("Fcl_MTH_A") == "viseme:aa"


def test_close_misspellings_match_but_never_the_other_side():
    assert match_shape_key("mouthSmileLt") == "mouthSmileLeft"
    assert match_shape_key("cheekPuf") == "cheekPuff"
    assert match_shape_key("eyeBlinkRite_L") in ("eyeBlinkLeft", None)


def test_unrelated_names_and_the_basis_are_not_matched():
    assert match_shape_keys(["Basis", "Key 1", "smile", "Eyebrow_Up"]) == {}


def test_a_table_exports_to_a_mapping_file_that_voxrig_stream_reads():
    table = match_shape_keys(["EyeBlink_L", "JawOpen", "viseme_aa", "browInnerUp_L",
                              "browInnerUp_R"])
    data = json.loads(json.dumps(table_to_mapping(table)))
    names = parse_mapping(data)
    assert names.names[ARKIT52.index("jawOpen")] == "JawOpen"
    assert names.names[ARKIT52.index("eyeBlinkLeft")] == "EyeBlink_L"
    assert names.names[ARKIT52.index("browInnerUp")] == "browInnerUp_L"
    assert names.names[ARKIT52.index("mouthClose")] is None


def test_exporting_a_table_without_arkit_channels_is_a_clear_error():
    with pytest.raises(MappingError, match="nothing to export"):
        table_to_mapping({"viseme_aa": "viseme:aa"})
