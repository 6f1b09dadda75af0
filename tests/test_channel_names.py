"""Channel name styles and the voxrig.mapping file: what a receiving app's names look like,
and a clear one-line error for every way a mapping file can be wrong."""

import json
from pathlib import Path

import pytest

from voxrig.core.channel_names import (
    MappingError,
    load_mapping,
    mapping_to_dict,
    parse_mapping,
    resolve_names,
    style_names,
)
from voxrig.core.names import ARKIT52


def write(tmp_path: Path, data, name: str = "map.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def mapping(names: dict, **extra) -> dict:
    return {"format": "voxrig.mapping", "version": 1, "names": names, **extra}


def test_arkit_style_sends_all_52_channels_by_their_canonical_names():
    assert style_names("arkit").names == ARKIT52


def test_pascal_style_capitalises_the_first_letter_only():
    names = style_names("pascal").names
    assert names[ARKIT52.index("jawOpen")] == "JawOpen"
    assert names[ARKIT52.index("mouthSmileLeft")] == "MouthSmileLeft"
    assert len(set(names)) == 52


def test_vrcft_style_uses_unified_expression_parameters_and_leaves_out_eye_gaze():
    names = style_names("vrcft")
    by_arkit = dict(zip(ARKIT52, names.names, strict=True))
    assert by_arkit["jawOpen"] == "FT/v2/JawOpen"
    assert by_arkit["mouthClose"] == "FT/v2/MouthClosed"
    assert by_arkit["mouthPucker"] == "FT/v2/LipPucker"
    assert by_arkit["mouthRollUpper"] == "FT/v2/LipSuckUpper"
    assert by_arkit["eyeBlinkLeft"] is None and by_arkit["eyeLookUpRight"] is None
    sent = [n for _, n in names.sent()]
    assert len(sent) == len(set(sent)) == 42


def test_a_mapping_file_renames_listed_channels_and_keeps_the_others_by_default(tmp_path):
    path = write(tmp_path, mapping({"jawOpen": "Mouth_Open", "tongueOut": None}))
    names = load_mapping(path)
    by_arkit = dict(zip(ARKIT52, names.names, strict=True))
    assert by_arkit["jawOpen"] == "Mouth_Open"
    assert by_arkit["tongueOut"] is None
    assert by_arkit["mouthClose"] == "mouthClose"
    assert len(names.sent()) == 51


def test_others_drop_sends_only_the_listed_channels(tmp_path):
    path = write(tmp_path, mapping({"jawOpen": "A", "mouthClose": "B"}, others="drop"))
    assert load_mapping(path).sent() == [(17, "A"), (18, "B")]


def test_a_mapping_written_out_reads_back_the_same(tmp_path):
    original = style_names("vrcft")
    path = write(tmp_path, mapping_to_dict(original))
    assert load_mapping(path).names == original.names


def test_resolve_names_takes_a_style_or_a_json_path(tmp_path):
    assert resolve_names("pascal").source == "pascal"
    path = write(tmp_path, mapping({"jawOpen": "X"}))
    assert resolve_names(str(path)).names[17] == "X"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON (Expecting property name enclosed in double quotes"),
        ([1, 2], 'expected a JSON object with "format": "voxrig.mapping"'),
        ({"format": "voxrig.clip", "version": 1, "names": {}},
         "\"format\" must be \"voxrig.mapping\", got 'voxrig.clip'"),
        ({"format": "voxrig.mapping", "version": 2, "names": {}},
         "unsupported version 2 (this voxrig reads version 1)"),
        (mapping({"jawopen": "J"}),
         "'jawopen' is not an ARKit-52 channel (did you mean 'jawOpen'?)"),
        (mapping({"jawOpen": 3}), "the name for 'jawOpen' must be a non-empty string or null"),
        (mapping({"jawOpen": "Same", "mouthClose": "Same"}),
         "'jawOpen' and 'mouthClose' both map to 'Same'"),
        (mapping({}, others="maybe"), "\"others\" must be \"keep\" or \"drop\""),
        (mapping({}, others="drop"), "no channel is left to send"),
        (mapping({}, extra=1), "unknown key 'extra'"),
        ({"format": "voxrig.mapping", "version": 1, "names": ["jawOpen"]},
         "\"names\" must be an object"),
    ],
)
def test_a_bad_mapping_file_is_one_clear_error_naming_the_file(tmp_path, content, message):
    path = write(tmp_path, content)
    with pytest.raises(MappingError) as err:
        load_mapping(path)
    text = str(err.value)
    assert text.startswith((f"mapping file '{path}'", f"cannot read mapping file '{path}'"))
    assert message in text
    assert "\n" not in text


def test_a_missing_mapping_file_says_so(tmp_path):
    with pytest.raises(MappingError, match="cannot read mapping file .*: file not found"):
        load_mapping(tmp_path / "nope.json")


def test_an_unknown_style_lists_the_choices():
    with pytest.raises(MappingError, match="unknown name style 'camel'; use one of arkit, "
                                           "pascal, vrcft or a mapping file"):
        resolve_names("camel")


def test_parse_mapping_accepts_an_object_already_decoded():
    assert parse_mapping(mapping({"jawOpen": "J"})).names[17] == "J"
