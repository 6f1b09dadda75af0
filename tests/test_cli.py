"""The `voxrig` command: what a user types and what they get back."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from voxrig.bridge.cli import SAMPLE_AUDIO, SAMPLE_TEXT, main
from voxrig.bridge.render.video import probe as probe_video

# The console script installed beside the interpreter running the tests.
VOXRIG = Path(sys.executable).with_name("voxrig")


@pytest.fixture()
def sample(tmp_path: Path) -> Path:
    """The bundled demo clip, copied where the test may write beside it."""
    path = tmp_path / "line.flac"
    shutil.copy(SAMPLE_AUDIO, path)
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.slow
def test_bake_writes_a_json_clip_beside_the_audio_by_default(sample, capsys):
    code, _, err = run(capsys, "bake", str(sample), "--text", str(SAMPLE_TEXT))
    assert code == 0, err
    data = json.loads((sample.parent / "line.voxrig.json").read_text())
    assert data["format"] == "voxrig.clip" and data["fps"] == 30.0
    assert data["frame_count"] == int(9.655 * 30) + 1
    assert data["meta"]["phone_source"] == "forced"
    assert f"wrote {sample.parent / 'line.voxrig.json'}: 52 ARKit channels, 9.7 s" in err


@pytest.mark.slow
def test_the_success_line_names_what_was_written(sample, tmp_path, capsys):
    tsv, dat = tmp_path / "line.tsv", tmp_path / "line.dat"
    code, _, err = run(capsys, "bake", str(sample), "-o", str(tsv))
    assert code == 0, err
    cues = len(tsv.read_text().splitlines()) - 1  # the last line is the end time
    assert f"wrote {tsv}: {cues} Rhubarb mouth cues (A-H, X), 9.7 s (baked in " in err
    code, _, err = run(capsys, "bake", str(sample), "-o", str(dat))
    assert code == 0, err
    switches = len(dat.read_text().splitlines()) - 1
    assert f"wrote {dat}: {switches} Moho mouth switches (Preston Blair) at 30 fps" in err


@pytest.mark.slow
def test_rhubarb_json_names_the_audio_as_the_user_gave_it(sample, tmp_path, capsys,
                                                          monkeypatch):
    monkeypatch.chdir(sample.parent)
    out = tmp_path / "line.rhubarb.json"
    code, _, err = run(capsys, "bake", "line.flac", "-o", str(out))
    assert code == 0, err
    assert json.loads(out.read_text())["metadata"]["soundFile"] == "line.flac"


@pytest.mark.slow
def test_bake_to_csv_at_60_fps_with_visemes(sample, tmp_path, capsys):
    out = tmp_path / "out.csv"
    code, _, err = run(capsys, "bake", str(sample), "--transcript",
                       SAMPLE_TEXT.read_text(), "--fps", "60", "--visemes", "-o", str(out))
    assert code == 0, err
    lines = out.read_text().splitlines()
    assert lines[0].startswith("time,eyeBlinkLeft,") and lines[0].endswith(",viseme_ou")
    assert len(lines) == 1 + int(9.655 * 60) + 1


@pytest.mark.slow
def test_quiet_prints_nothing(sample, capsys):
    code, out, err = run(capsys, "bake", str(sample), "--quiet")
    assert (code, out, err) == (0, "", "")


@pytest.mark.slow
def test_demo_bakes_the_bundled_clip_and_summarises_it(tmp_path, capsys):
    code, out, err = run(capsys, "demo", "--out", str(tmp_path / "demo"))
    assert code == 0, err
    assert "9.66 s" in out and "30 fps, 290 frames" in out
    assert "closures" in out and "opens" in out
    assert "no text     neural engine:" in out  # the same line heard without its transcript
    neural = json.loads((tmp_path / "demo" / "LJ001-0001.neural.voxrig.json").read_text())
    assert neural["meta"]["engine"] == "neural"
    data = json.loads((tmp_path / "demo" / "LJ001-0001.voxrig.json").read_text())
    assert "keypoints" in data and "visemes" in data
    csv_header = (tmp_path / "demo" / "LJ001-0001.voxrig.csv").read_text().split("\n", 1)[0]
    assert csv_header.startswith("time,eyeBlinkLeft")
    # the bundled demo face says the line: a video of the demo speaker, the line's length
    video = tmp_path / "demo" / "LJ001-0001.render.mp4"
    assert f"{video} (the bundled GRID s1 face says it: 242 frames" in out
    info = probe_video(video)
    assert (info.width, info.height, info.fps) == (360, 288, 25.0)


def test_a_missing_transcript_file_is_a_one_line_error(sample, capsys):
    code, _, err = run(capsys, "bake", str(sample), "--text", "nope.txt")
    assert code == 1
    assert err == "voxrig: error: cannot read transcript 'nope.txt': file not found\n"


def test_an_empty_transcript_is_a_one_line_error(sample, tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    code, _, err = run(capsys, "bake", str(sample), "--text", str(empty))
    assert code == 1
    assert err == f"voxrig: error: transcript '{empty}' is empty\n"
    code, _, err = run(capsys, "bake", str(sample), "--transcript", " ")
    assert code == 1
    assert err == ("voxrig: error: the transcript is empty "
                   "(leave it out to recognise the phones)\n")


def test_an_unknown_output_extension_is_a_one_line_error(sample, capsys):
    code, _, err = run(capsys, "bake", str(sample), "-o", "out.txt")
    assert code == 1
    assert err == ("voxrig: error: cannot write 'out.txt': unknown output format '.txt' "
                   "(use .json or .csv, or export to .anim, .unreal.csv, .glb, .rhubarb.json, "
                   ".tsv, .visemes.csv, .dat; or name one with --format)\n")


def test_keypoints_need_json_output(sample, capsys):
    code, _, err = run(capsys, "bake", str(sample), "--keypoints", "-o", "out.csv")
    assert code == 1
    assert err == "voxrig: error: keypoints can only be written to JSON (use -o OUT.json)\n"


def test_a_file_voxrig_did_not_write_is_never_overwritten_without_force(sample, tmp_path,
                                                                        capsys):
    precious = tmp_path / "notes.json"
    precious.write_text('{"mine": true}')
    code, _, err = run(capsys, "bake", str(sample), "-o", str(precious))
    assert code == 1
    assert err == (f"voxrig: error: '{precious}' exists and was not written by voxrig; "
                   "choose another -o or pass --force to overwrite it\n")
    assert precious.read_text() == '{"mine": true}'


@pytest.mark.slow
def test_force_overwrites_and_rebaking_over_voxrig_output_is_allowed(sample, tmp_path,
                                                                     capsys):
    target = tmp_path / "notes.json"
    target.write_text('{"mine": true}')
    assert run(capsys, "bake", str(sample), "-o", str(target), "--force", "-q")[0] == 0
    assert json.loads(target.read_text())["format"] == "voxrig.clip"
    assert run(capsys, "bake", str(sample), "-o", str(target), "-q")[0] == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--fps", "0"], "argument --fps: frame rate 0 is outside 1..240"),
        (["--fps", "abc"], "argument --fps: 'abc' is not a valid frame rate"),
        (["--strength", "5"], "argument --strength: strength 5 is outside 0..2"),
    ],
)
def test_invalid_options_exit_with_usage_code_2(sample, capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["bake", str(sample), *argv])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_help_shows_examples(capsys):
    with pytest.raises(SystemExit):
        main(["bake", "--help"])
    out = capsys.readouterr().out
    assert "examples:" in out and "voxrig bake line.wav --text line.txt" in out


def test_the_installed_command_reports_errors_without_a_traceback(tmp_path):
    assert VOXRIG.exists(), "the voxrig console script must be installed (pip install -e .)"
    result = subprocess.run([str(VOXRIG), "bake", str(tmp_path / "missing.wav")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("voxrig: error: ") and result.stderr.count("\n") == 1


def _bad_inputs(folder: Path) -> dict[str, str]:
    """Every kind of unusable audio, made in `folder`, with the exact line voxrig must print."""
    (folder / "folder.wav").mkdir()
    (folder / "empty.wav").write_bytes(b"")
    (folder / "garbage.wav").write_bytes(bytes(range(256)) * 8)
    (folder / "notes.flac").write_text("hello, this is a transcript\n" * 10)
    (folder / "data.xyz").write_bytes(bytes(range(200)))
    sf.write(folder / "short.wav", np.full(160, 0.1, np.float32), 16000)
    sf.write(folder / "silent.wav", np.zeros(16000, np.float32), 16000)
    nan = np.full(16000, 0.1, np.float32)
    nan[5000] = np.nan
    sf.write(folder / "nan.wav", nan, 16000, subtype="FLOAT")
    return {
        "missing.wav": "cannot read '{}': file not found",
        "folder.wav": "cannot read '{}': it is a directory, not an audio file",
        "empty.wav": "cannot read '{}': the file is empty (0 bytes)",
        "garbage.wav": "cannot read '{}': corrupt or truncated WAV file",
        "notes.flac": "cannot read '{}': it is a text file, not FLAC audio",
        "data.xyz": "cannot read '{}': unsupported audio format '.xyz' "
                    "(supported: wav, flac, ogg, opus, mp3)",
        "short.wav": "cannot use '{}': it is too short (0.010 s; at least 0.05 s is needed, "
                     "one animation frame)",
        "silent.wav": "cannot use '{}': it is silent (peak level -inf dBFS)",
        "nan.wav": "cannot use '{}': it contains NaN or infinite samples (first at 0.312 s)",
    }


def test_bad_audio_is_a_one_line_error_naming_the_file(tmp_path, capsys):
    for name, message in _bad_inputs(tmp_path).items():
        path = str(tmp_path / name)
        code, out, err = run(capsys, "bake", path)
        assert (code, out, err) == (1, "", f"voxrig: error: {message.format(path)}\n"), name
        assert not (tmp_path / (Path(name).stem + ".voxrig.json")).exists()


@pytest.mark.parametrize("engine", ["phonetic", "neural"])
def test_sound_that_is_not_speech_gives_a_still_face_and_a_warning(tmp_path, capsys, engine):
    # The phonetic engine's recogniser tells a tone from a voice; the neural model was
    # trained to keep its mouth shut for tones, noise and music, and a bake that never
    # opens it is not speech.
    t = np.arange(3 * 16000) / 16000
    tone = tmp_path / "tone.wav"
    sf.write(tone, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16000)
    code, _, err = run(capsys, "bake", str(tone), "--engine", engine)
    assert code == 0
    assert err.startswith(f"voxrig: warning: no speech was found in '{tone}'; "
                          "the face stays at rest\n")
    data = json.loads((tmp_path / "tone.voxrig.json").read_text())
    assert max(max(frame) for frame in data["weights"]) == 0.0


@pytest.mark.slow
def test_a_transcript_of_other_words_falls_back_to_recognition_with_a_warning(sample, capsys):
    code, _, err = run(capsys, "bake", str(sample), "--transcript",
                       "The quick brown fox jumps over the lazy dog near the river bank.")
    assert code == 0
    assert err.startswith("voxrig: warning: transcript does not match the audio (only ")
    data = json.loads((sample.parent / "line.voxrig.json").read_text())
    assert data["meta"]["phone_source"] == "recognised"


@pytest.mark.slow
def test_words_missing_from_the_dictionary_still_align(sample, capsys):
    text = SAMPLE_TEXT.read_text().replace("Exhibition", "Exhibitionzzz")
    code, _, err = run(capsys, "bake", str(sample), "--transcript", text)
    assert (code, err.count("warning")) == (0, 0), err
    data = json.loads((sample.parent / "line.voxrig.json").read_text())
    assert data["meta"]["phone_source"] == "forced"
    assert data["meta"]["words"][-1][0] == "exhibitionzzz"
