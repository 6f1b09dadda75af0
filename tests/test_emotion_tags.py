import pytest

from voxrig.core.emotion.tags import (
    Segment,
    parse_tags,
    tags_to_segments,
    timeline_from_dict,
    timeline_to_dict,
)
from voxrig.core.errors import VoxrigError
from voxrig.core.phones import Word


def test_inline_tags_are_removed_from_the_text_and_placed_at_the_next_word():
    plain, tags = parse_tags("[happy] Hello there. [angry:0.6] Go away [laughs] now")
    assert plain == "Hello there. Go away [laughs] now"
    assert [(t.word, t.emotion, t.intensity) for t in tags] == [(0, "happy", 1.0),
                                                                (2, "angry", 0.6)]
    words = [Word("hello", 0.1, 0.4), Word("there", 0.4, 0.8), Word("go", 1.2, 1.4),
             Word("away", 1.4, 1.8), Word("now", 1.8, 2.0)]
    assert tags_to_segments(tags, words, 2.5) == [Segment(0.0, 1.2, "happy", 1.0),
                                                  Segment(1.2, 2.5, "angry", 0.6)]


def test_a_tag_intensity_outside_0_to_1_is_an_error():
    with pytest.raises(VoxrigError, match="intensity"):
        parse_tags("[sad:1.5] oh")


def test_timeline_round_trips_and_bad_timelines_say_what_is_wrong():
    segments = [Segment(0.0, 1.0, "sad", 0.5), Segment(1.0, 2.0, "surprised", 1.0)]
    assert timeline_from_dict(timeline_to_dict(segments)) == segments
    with pytest.raises(VoxrigError, match="format"):
        timeline_from_dict({"segments": []})
    with pytest.raises(VoxrigError, match="unknown emotion"):
        timeline_from_dict({"format": "voxrig.emotion", "segments": [
            {"start": 0, "end": 1, "emotion": "bored"}]})
    with pytest.raises(VoxrigError, match="start < end"):
        timeline_from_dict({"format": "voxrig.emotion", "segments": [
            {"start": 2, "end": 1, "emotion": "sad"}]})


def test_voxrig_bake_follows_an_emotion_timeline_file(tmp_path, capsys):
    import json
    import shutil

    from voxrig.bridge.cli import SAMPLE_AUDIO, main

    audio = tmp_path / "line.flac"
    shutil.copy(SAMPLE_AUDIO, audio)
    timeline = tmp_path / "mood.json"
    timeline.write_text(json.dumps(timeline_to_dict([Segment(0.0, 4.0, "surprised", 0.8),
                                                     Segment(4.0, 9.7, "sad", 0.6)])))
    out = tmp_path / "clip.json"
    assert main(["bake", str(audio), "--emotion", str(timeline), "--idle", "off", "-q",
                 "-o", str(out)]) == 0
    data = json.loads(out.read_text())
    names = data["emotion"]["names"]
    frames = data["emotion"]["weights"]
    assert frames[60][names.index("surprised")] > 0.9  # at 2 s
    assert frames[240][names.index("sad")] > 0.9  # at 8 s
    assert "head" not in data  # idle off: no head motion


def test_a_bad_timeline_file_is_a_one_line_error_before_baking(tmp_path, capsys):
    from voxrig.bridge.cli import SAMPLE_AUDIO, main

    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "voxrig.emotion", "segments": [{"start": 0}]}')
    assert main(["bake", str(SAMPLE_AUDIO), "--emotion", str(bad), "-o",
                 str(tmp_path / "x.json")]) == 1
    err = capsys.readouterr().err
    assert err == f"voxrig: error: emotion timeline '{bad}': segment 0 needs numeric start " \
                  "and end and an emotion name\n"
