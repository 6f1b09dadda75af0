"""The shared reader of user text and JSON files: where its limits are and what they count."""

import json

import pytest

from voxrig.core.errors import VoxrigError
from voxrig.core.userfile import MAX_JSON_DEPTH, nesting_depth, parse_json, read_json


def test_brackets_inside_strings_are_not_nesting():
    assert nesting_depth(json.dumps({"note": '[[[{{{ " ]]]', "a": [[1]]})) == 3


def test_depth_counts_across_the_slices_a_large_document_is_read_in():
    inner = "[" * 40 + "]" * 40
    text = json.dumps({"pad": "x" * (5 * 1024 * 1024)})[:-1] + ', "deep": ' + inner + "}"
    assert nesting_depth(text) == 41


def test_json_at_the_depth_limit_is_read_and_one_deeper_is_refused():
    at_limit = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert parse_json(at_limit, "'f.json'", VoxrigError) == json.loads(at_limit)
    with pytest.raises(VoxrigError, match="'f.json' is nested too deeply"):
        parse_json("[" + at_limit + "]", "'f.json'", VoxrigError)


def test_the_error_type_is_the_callers(tmp_path):
    class TimelineError(VoxrigError):
        pass

    path = tmp_path / "t.json"
    path.write_bytes(b"\xff")
    with pytest.raises(TimelineError, match="is not UTF-8 text"):
        read_json(path, f"timeline {str(path)!r}", TimelineError)
