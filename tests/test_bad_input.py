"""The bad-input corpus: every file a user can hand voxrig that is wrong in some way (clips,
emotion timelines, name mappings, transcripts) and every wrong command line. Each case runs
the real command and specifies its exit code and its whole stderr: one line, no traceback.
The fuzz tests' reproducers are among them (head: null, deep nesting, repeated CSV times)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from voxrig.bridge.cli import SAMPLE_AUDIO, main
from voxrig.bridge.clipio import clip_to_csv
from voxrig.core.clip import Clip, to_dict
from voxrig.core.userfile import MAX_CLIP_BYTES, MAX_TEXT_BYTES

CLIP = Clip(fps=30.0, weights=np.zeros((3, 52)))
CSV_HEADER, CSV_FRAME_0, CSV_FRAME_1, CSV_FRAME_2 = clip_to_csv(CLIP).decode().splitlines()
DEEP = "[" * 100_000 + "]" * 100_000  # Python's JSON parser alone would hit its recursion limit


def clip_json(**change: object) -> bytes:
    return json.dumps({**to_dict(CLIP), **change}).encode()


def csv_lines(*lines: str) -> bytes:
    return "\n".join(lines).encode()


def timeline(segments: object) -> bytes:
    return json.dumps({"format": "voxrig.emotion", "version": 1, "segments": segments}).encode()


def mapping(names: object) -> bytes:
    return json.dumps({"format": "voxrig.mapping", "version": 1, "names": names}).encode()


def run(capsys, argv: list[str]) -> tuple[int, str]:
    """Exit code and stderr of the real command (argparse's exits included)."""
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    return code, capsys.readouterr().err


def assert_one_line(err: str, expected: str) -> None:
    assert err == expected + "\n"
    assert "Traceback" not in err


def run_on(capsys, path: Path, content: bytes, argv: list[str]) -> tuple[int, str]:
    """Write `content` to `path`, then run the command with `path` where argv says FILE."""
    path.write_bytes(content)
    return run(capsys, [str(path) if arg == "FILE" else arg for arg in argv])


def assert_input_error(code: int, err: str, message: str, path: Path) -> None:
    """Exit 1 and the whole stderr is `message` (its {f}: the file) after 'voxrig: error: '."""
    assert code == 1
    assert_one_line(err, "voxrig: error: " + message.replace("{f}", str(path)))


def sparse(path: Path, size: int) -> Path:
    """A file of `size` bytes that takes no disk space or time to make."""
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


CLIP_CASES = [
    ("head_null.json", clip_json(head=None),
     "'{f}': head must be an object with \"frames\", got None"),
    ("head_list.json", clip_json(head=[1, 2]),
     "'{f}': head must be an object with \"frames\", got [1, 2]"),
    ("emotion_null.json", clip_json(emotion=None),
     "'{f}': emotion must be an object with \"weights\", got None"),
    ("emotion_list.json", clip_json(emotion=[]),
     "'{f}': emotion must be an object with \"weights\", got []"),
    ("channels_null.json", clip_json(channels=None),
     "'{f}': channels must be a list of names, got None"),
    ("duration_list.json", clip_json(duration=[1.0]),
     "'{f}': duration must be a number of seconds, got [1.0]"),
    ("channel_5.json", clip_json(channels=["5", *to_dict(CLIP)["channels"][1:]]),
     "'{f}': channel '5' is not an ARKit-52 blendshape name"),
    ("typo.json", clip_json(channels=["jawOpn", *to_dict(CLIP)["channels"][1:]]),
     "'{f}': channel 'jawOpn' is not an ARKit-52 blendshape name (did you mean 'jawOpen'?)"),
    ("no_channels.json", clip_json(channels=[], weights=[[], [], []]),
     "'{f}': a clip needs at least one channel"),
    ("long_duration.json", clip_json(duration=1e300),
     "'{f}': duration 1e+300 s is longer than its 3 frames at 30 fps cover (at most 0.1 s)"),
    ("slow_fps.json", clip_json(fps=1e-9, duration=1e10),
     "'{f}': fps must be a number in [1, 1000], got 1e-09"),
    ("meta_list.json", clip_json(meta=[1]), "'{f}': meta must be an object, got [1]"),
    ("phone_time.json", clip_json(meta={"phones": [["AA", 10 ** 400, 1]]}),
     "'{f}': meta.phones must be a list of [label, start, end] rows with finite times"),
    ("phones.json", clip_json(meta={"phones": [["AA", "soon", 1]]}),
     "'{f}': meta.phones must be a list of [label, start, end] rows with finite times"),
    ("nan.json", clip_json(weights=[[float("nan")] * 52] * 3),
     "'{f}': weights contain NaN, infinite or out-of-range values"),
    ("overflow.json", clip_json(weights=[[1e300] * 52] * 3),
     "'{f}': weights contain NaN, infinite or out-of-range values"),
    ("strings.json", clip_json(weights=[["0.5"] * 52] * 3),
     "'{f}': weights must be a rectangular array of numbers"),
    ("frames_true.json", clip_json(frame_count=True, weights=[[0.0] * 52]),
     "'{f}': frame_count is True but weights has 1 frames"),
    ("deep.json", DEEP.encode(),
     "'{f}' is nested too deeply (more than 64 levels of [ ] and { }); it is not a voxrig file"),
    ("deep_field.json", clip_json(meta={"x": json.loads("[" * 64 + "]" * 64)}),
     "'{f}' is nested too deeply (more than 64 levels of [ ] and { }); it is not a voxrig file"),
    ("latin1.json", b'{"format": "voxrig.clip", "note": "caf\xe9"}',
     "'{f}' is not UTF-8 text (byte 0xe9 at offset 38)"),
    ("empty.json", b"", "'{f}' is empty"),
    ("long_number.json", clip_json().replace(b'"version": 1', b'"version": ' + b"1" * 5000),
     "'{f}' is not valid JSON (a number with thousands of digits)"),
    ("cut.json", clip_json()[:40],
     "'{f}' is not valid JSON (Expecting property name enclosed in double quotes at line 1)"),
    ("repeated.csv", csv_lines(CSV_HEADER, CSV_FRAME_0, CSV_FRAME_0, CSV_FRAME_1),
     "'{f}': the time column must increase from frame to frame (frame 2 is at or before "
     "frame 1)"),
    ("backwards.csv", csv_lines(CSV_HEADER, CSV_FRAME_0, CSV_FRAME_2, CSV_FRAME_1),
     "'{f}': the time column must increase from frame to frame (frame 3 is at or before "
     "frame 2)"),
    ("word.csv", csv_lines(CSV_HEADER, CSV_FRAME_0.replace("0.00000", "open", 1)),
     "'{f}' has a value that is not a number"),
    ("nan.csv", csv_lines(CSV_HEADER, CSV_FRAME_0, CSV_FRAME_1.replace("0.00000", "nan", 2)),
     "'{f}' has a NaN or infinite value (frame 2)"),
    ("overflow.csv", csv_lines(CSV_HEADER, CSV_FRAME_0.replace("0.00000", "1e300")),
     "'{f}' has a weight far outside [0, 1]"),
    ("channel_5.csv", csv_lines(CSV_HEADER.replace("eyeBlinkLeft", "5"), CSV_FRAME_0),
     "'{f}': channel '5' is not an ARKit-52 blendshape name"),
    ("short_row.csv", csv_lines(CSV_HEADER, "0.0,0.1"),
     "'{f}' has rows that do not match its header"),
    ("other.csv", b"a,b\n1,2\n", "'{f}' is not a voxrig CSV (first column must be 'time')"),
    ("latin1.csv", b"time,jawOpen\n0,0\n# caf\xe9\n",
     "'{f}' is not UTF-8 text (byte 0xe9 at offset 22)"),
]


@pytest.mark.parametrize(("name", "content", "message"), CLIP_CASES,
                         ids=[case[0] for case in CLIP_CASES])
def test_a_bad_clip_is_one_line_naming_the_file_exit_1(tmp_path, capsys, name, content,
                                                       message):
    clip = tmp_path / name
    code, err = run_on(capsys, clip, content, ["export", "FILE", "-o", str(tmp_path / "out.anim")])
    assert_input_error(code, err, message, clip)
    assert not (tmp_path / "out.anim").exists()


@pytest.mark.parametrize("command", ["plot", "preview"])
def test_plot_and_preview_report_a_bad_clip_the_same_way(tmp_path, capsys, command):
    clip = tmp_path / "head.json"
    clip.write_bytes(clip_json(head=None))
    output = tmp_path / ("out.png" if command == "plot" else "out.mp4")
    code, err = run(capsys, [command, str(clip), "-o", str(output)])
    assert code == 1
    assert_one_line(err, f"voxrig: error: '{clip}': head must be an object with \"frames\", "
                         "got None")


def test_a_clip_folder_is_named_a_directory(tmp_path, capsys):
    code, err = run(capsys, ["export", str(tmp_path), "-o", str(tmp_path / "out.csv")])
    assert code == 1
    assert_one_line(err, f"voxrig: error: cannot read '{tmp_path}': it is a directory, not a "
                         "file")


def test_a_clip_over_the_size_limit_is_refused_before_it_is_read(tmp_path, capsys):
    clip = sparse(tmp_path / "huge.json", MAX_CLIP_BYTES + 1)
    code, err = run(capsys, ["plot", str(clip), "-o", str(tmp_path / "out.png")])
    assert code == 1
    assert_one_line(err, f"voxrig: error: '{clip}' is too large (1024.0 MB; voxrig reads at "
                         "most 1024 MB here)")


TIMELINE_CASES = [
    ("deep.json", b'{"format": "voxrig.emotion", "segments": ' + DEEP.encode() + b"}",
     "emotion timeline '{f}' is nested too deeply (more than 64 levels of [ ] and { }); it is "
     "not a voxrig file"),
    ("latin1.json", b'{"format": "voxrig.emotion", "segments": [], "by": "Ren\xe9"}',
     "emotion timeline '{f}' is not UTF-8 text (byte 0xe9 at offset 55)"),
    ("not_json.json", b"{", "emotion timeline '{f}' is not valid JSON (Expecting property "
     "name enclosed in double quotes at line 1)"),
    ("empty.json", b"", "emotion timeline '{f}' is empty"),
    ("other.json", b"[]", "emotion timeline '{f}' is not an emotion timeline: expected a JSON "
     "object with \"format\": \"voxrig.emotion\""),
    ("segments.json", timeline({"0": "sad"}), "emotion timeline '{f}' needs a \"segments\" list"),
    ("row.json", timeline([[0, 1, "sad"]]), "emotion timeline '{f}': segment 0 needs numeric "
     "start and end and an emotion name"),
    ("big_int.json", timeline([{"start": 10 ** 400, "end": 1, "emotion": "sad"}]),
     "emotion timeline '{f}': segment 0 needs numeric start and end and an emotion name"),
    ("bored.json", timeline([{"start": 0, "end": 1, "emotion": "bored"}]),
     "emotion timeline '{f}': segment 0: unknown emotion 'bored' (use one of neutral, happy, "
     "sad, angry, surprised, afraid, disgusted)"),
    ("list_emotion.json", timeline([{"start": 0, "end": 1, "emotion": ["sad"]}]),
     "emotion timeline '{f}': segment 0: unknown emotion ['sad'] (use one of neutral, happy, "
     "sad, angry, surprised, afraid, disgusted)"),
    ("backwards.json", timeline([{"start": 2, "end": 1, "emotion": "sad"}]),
     "emotion timeline '{f}': segment 0: need 0 <= start < end"),
]


@pytest.mark.parametrize(("name", "content", "message"), TIMELINE_CASES,
                         ids=[case[0] for case in TIMELINE_CASES])
def test_a_bad_emotion_timeline_is_one_line_before_baking(tmp_path, capsys, name, content,
                                                          message):
    path = tmp_path / name
    code, err = run_on(capsys, path, content, ["bake", str(SAMPLE_AUDIO), "--emotion", "FILE",
                                               "-o", str(tmp_path / "out.json")])
    assert_input_error(code, err, message, path)


MAPPING_CASES = [
    ("deep.json", b'{"format": "voxrig.mapping", "version": 1, "names": '
     + b'{"a": ' * 3000 + b"1" + b"}" * 3000 + b"}",
     "mapping file '{f}' is nested too deeply (more than 64 levels of [ ] and { }); it is not "
     "a voxrig file"),
    ("latin1.json", b'{"format": "voxrig.mapping", "version": 1, "names": {"jawOpen": "\xe9"}}',
     "mapping file '{f}' is not UTF-8 text (byte 0xe9 at offset 65)"),
    ("list.json", mapping(["jawOpen"]),
     "mapping file '{f}': \"names\" must be an object of ARKit name -> name"),
    ("number.json", mapping({"jawOpen": 5}),
     "mapping file '{f}': the name for 'jawOpen' must be a non-empty string or null, got 5"),
]


@pytest.mark.parametrize(("name", "content", "message"), MAPPING_CASES,
                         ids=[case[0] for case in MAPPING_CASES])
def test_a_bad_name_mapping_is_one_line_before_streaming(tmp_path, capsys, name, content,
                                                         message):
    clip, path = tmp_path / "clip.json", tmp_path / name
    clip.write_bytes(clip_json())
    code, err = run_on(capsys, path, content, ["stream", "--input", str(clip), "--names", "FILE"])
    assert_input_error(code, err, message, path)


TRANSCRIPT_CASES = [
    ("latin1.txt", b"caf\xe9 au lait", "transcript '{f}' is not UTF-8 text (byte 0xe9 at "
     "offset 3)"),
    ("utf16.txt", "hello".encode("utf-16"), "transcript '{f}' is not UTF-8 text (byte 0xff at "
     "offset 0)"),
    ("blank.txt", b"  \n", "transcript '{f}' is empty"),
    ("tag.txt", b"[angry:2] no way", "transcript '{f}': emotion tag intensity must be in "
     "[0, 1], got [angry:2]"),
]


@pytest.mark.parametrize(("name", "content", "message"), TRANSCRIPT_CASES,
                         ids=[case[0] for case in TRANSCRIPT_CASES])
def test_a_bad_transcript_is_one_line_before_baking(tmp_path, capsys, name, content, message):
    path = tmp_path / name
    code, err = run_on(capsys, path, content, ["bake", str(SAMPLE_AUDIO), "--text", "FILE",
                                               "-o", str(tmp_path / "out.json")])
    assert_input_error(code, err, message, path)


def test_a_transcript_folder_is_named_a_directory_not_missing(tmp_path, capsys):
    code, err = run(capsys, ["bake", str(SAMPLE_AUDIO), "--text", str(tmp_path), "-o",
                             str(tmp_path / "out.json")])
    assert code == 1
    assert_one_line(err, f"voxrig: error: cannot read transcript '{tmp_path}': it is a "
                         "directory, not a file")


def test_a_transcript_over_the_size_limit_is_refused(tmp_path, capsys):
    path = sparse(tmp_path / "huge.txt", MAX_TEXT_BYTES + 1)
    code, err = run(capsys, ["bake", str(SAMPLE_AUDIO), "--text", str(path), "-o",
                             str(tmp_path / "out.json")])
    assert code == 1
    assert_one_line(err, f"voxrig: error: transcript '{path}' is too large (16.0 MB; voxrig "
                         "reads at most 16 MB here)")


USAGE_CASES = [
    (["bake", "{audio}", "--fps", "abc"],
     "voxrig bake: error: argument --fps: 'abc' is not a valid frame rate "
     "(see 'voxrig bake --help')"),
    (["bake", "{audio}", "--fps", "0"],
     "voxrig bake: error: argument --fps: frame rate 0 is outside 1..240 "
     "(see 'voxrig bake --help')"),
    (["export", "{audio}"],
     "voxrig export: error: the following arguments are required: -o/--output "
     "(see 'voxrig export --help')"),
    (["plot"], "voxrig plot: error: the following arguments are required: clip "
     "(see 'voxrig plot --help')"),
    (["preview"], "voxrig preview: error: the following arguments are required: input "
     "(see 'voxrig preview --help')"),
    (["demo", "--bogus"], "voxrig: error: unrecognized arguments: --bogus "
     "(see 'voxrig --help')"),
    ([], "voxrig: error: no command given: use one of bake, export, demo, preview, render, "
     "train-face, stream, plot, batch (see 'voxrig --help')"),
    (["bake"], "voxrig bake: error: the following arguments are required: audio "
     "(see 'voxrig bake --help')"),
]


@pytest.mark.parametrize(("argv", "message"), USAGE_CASES,
                         ids=[" ".join(case[0]) or "nothing" for case in USAGE_CASES])
def test_a_wrong_command_line_is_one_line_exit_2(capsys, argv, message):
    code, err = run(capsys, [a.format(audio=SAMPLE_AUDIO) for a in argv])
    assert code == 2
    assert_one_line(err, message)
