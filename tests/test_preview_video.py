"""`voxrig preview`: the mp4 a user gets (duration, fps, size, H.264 yuv420p + AAC audio, read
back with `ffmpeg -i` from the same imageio-ffmpeg wheel, which ships no ffprobe) and the
one-line errors for bad inputs. Renders are kept to a second or two."""

import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from video_probe import probe_video, read_frames

from voxrig.bridge.cli import SAMPLE_AUDIO, main
from voxrig.bridge.clipio import save_clip
from voxrig.bridge.preview.video import encode_mp4
from voxrig.core.clip import Clip, frame_count_for
from voxrig.core.errors import VoxrigError
from voxrig.core.names import ARKIT52

JAW = ARKIT52.index("jawOpen")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture()
def speech(tmp_path: Path) -> Path:
    """The first 1.5 s of the bundled LJSpeech sample (real speech), as a wav."""
    samples, rate = sf.read(SAMPLE_AUDIO, dtype="float32")
    path = tmp_path / "speech.wav"
    sf.write(path, samples[: int(1.5 * rate)], rate)
    return path


def talking_clip(seconds: float, fps: float) -> Clip:
    frames = frame_count_for(seconds, fps)
    weights = np.zeros((frames, len(ARKIT52)), dtype=np.float32)
    weights[:, JAW] = 0.4 * (0.5 - 0.5 * np.cos(np.linspace(0, 4 * np.pi, frames)))
    return Clip(fps=fps, weights=weights, duration=seconds)


@pytest.mark.slow
def test_preview_of_speech_is_a_512_h264_video_with_aac_audio_of_the_clip_length(
        speech, tmp_path, capsys):
    out = tmp_path / "talk.mp4"
    code, _, err = run(capsys, "preview", str(speech), "-o", str(out))
    assert code == 0, err
    assert "wrote" in err
    info = probe_video(out)
    assert (info.width, info.height, info.fps) == (512, 512, 30.0)
    assert (info.video_codec, info.pixel_format, info.audio_codec) == ("h264", "yuv420p", "aac")
    frames = frame_count_for(1.5, 30.0)
    assert abs(info.duration - frames / 30.0) < 0.1
    decoded = read_frames(out, 512, 512)
    assert len(decoded) == frames
    centre = decoded[0, 200:320, 200:320].astype(int)
    assert np.ptp(centre) > 60  # a shaded face, not a blank picture
    assert not list(tmp_path.glob(".talk.mp4.*"))  # no temporary file left behind


def test_clip_with_audio_renders_at_the_clip_fps(speech, tmp_path, capsys):
    clip_path = tmp_path / "clip.json"
    save_clip(talking_clip(1.2, 25.0), clip_path)
    out = tmp_path / "clip.mp4"
    code, _, err = run(capsys, "preview", str(clip_path), "--audio", str(speech),
                       "-o", str(out), "--size", "256", "-q")
    assert (code, err) == (0, "")
    info = probe_video(out)
    assert (info.width, info.fps, info.audio_codec) == (256, 25.0, "aac")
    assert len(read_frames(out, 256, 256)) == frame_count_for(1.2, 25.0)


def test_fractional_frame_rates_are_kept_exactly(tmp_path):
    clip = talking_clip(0.5, 30000 / 1001)
    frames = [np.full((64, 64, 3), 80 + i, dtype=np.uint8) for i in range(clip.frame_count)]
    out = tmp_path / "ntsc.mp4"
    encode_mp4(frames, clip.fps, out)
    info = probe_video(out)
    assert info.fps == pytest.approx(29.97, abs=0.01)
    assert info.audio_codec is None  # no audio given: a silent video


def test_side_by_side_doubles_the_width(tmp_path, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    save_clip(talking_clip(0.5, 30.0), a)
    save_clip(talking_clip(0.5, 30.0).with_(weights=np.zeros((16, 52), np.float32)), b)
    out = tmp_path / "ab.mp4"
    code, _, err = run(capsys, "preview", str(a), "--side-by-side", str(b), "--labels",
                       "moving,still", "--size", "256", "-o", str(out))
    assert code == 0, err
    assert "silent" in err
    info = probe_video(out)
    assert (info.width, info.height) == (512, 256)


def test_keypoints_flag_draws_landmarks_into_the_video(tmp_path, capsys):
    clip = tmp_path / "c.json"
    save_clip(talking_clip(0.2, 30.0), clip)
    plain, dotted = tmp_path / "plain.mp4", tmp_path / "dotted.mp4"
    for out, extra in ((plain, []), (dotted, ["--keypoints"])):
        code, _, err = run(capsys, "preview", str(clip), "-o", str(out), "-q", *extra)
        assert code == 0, err
    a = read_frames(plain, 512, 512)[0].astype(int)
    b = read_frames(dotted, 512, 512)[0].astype(int)
    greenish = (b[..., 1] - b[..., 0] > 80) & (b[..., 1] - b[..., 2] > 60)
    assert np.count_nonzero(greenish) > 68 * 4
    assert np.count_nonzero((a[..., 1] - a[..., 0] > 80) & (a[..., 1] - a[..., 2] > 60)) == 0


def test_preview_bakes_audio_with_the_bake_options(speech, tmp_path, capsys):
    still = tmp_path / "still.mp4"
    code, _, err = run(capsys, "preview", str(speech), "-o", str(still), "--size", "128",
                       "--strength", "0", "--idle", "off", "--emotion", "none")
    assert code == 0, err
    moving = tmp_path / "moving.mp4"
    code, _, err = run(capsys, "preview", str(speech), "-o", str(moving), "--size", "128")
    assert code == 0, err
    frames = read_frames(still, 128, 128).astype(int)
    assert np.abs(frames - frames[0]).max() <= 20  # nothing moves (H.264 noise only)
    frames = read_frames(moving, 128, 128).astype(int)
    assert np.abs(frames - frames[0]).max() > 100  # the mouth speaks


def test_default_output_is_beside_the_input(tmp_path, capsys):
    clip = tmp_path / "line.voxrig.json"
    save_clip(talking_clip(0.1, 30.0), clip)
    code, _, err = run(capsys, "preview", str(clip), "--size", "128", "-q")
    assert code == 0, err
    assert (tmp_path / "line.preview.mp4").is_file()


@pytest.mark.parametrize("case", ["missing audio", "missing clip audio", "unreadable clip",
                                  "missing output folder", "not mp4", "labels without pair",
                                  "audio for audio", "transcript for a clip", "odd size",
                                  "missing second clip"])
def test_bad_inputs_are_one_line_errors_with_exit_code_1(case, speech, tmp_path, capsys):
    clip = tmp_path / "clip.json"
    save_clip(talking_clip(0.2, 30.0), clip)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    out = str(tmp_path / "out.mp4")
    argv = {
        "missing audio": ["preview", str(tmp_path / "nope.wav"), "-o", out],
        "missing clip audio": ["preview", str(clip), "--audio", str(tmp_path / "nope.wav"),
                               "-o", out],
        "unreadable clip": ["preview", str(broken), "--audio", str(speech), "-o", out],
        "missing output folder": ["preview", str(clip), "-o", str(tmp_path / "no" / "x.mp4")],
        "not mp4": ["preview", str(clip), "-o", str(tmp_path / "x.avi")],
        "labels without pair": ["preview", str(clip), "--labels", "a,b", "-o", out],
        "audio for audio": ["preview", str(speech), "--audio", str(speech), "-o", out],
        "transcript for a clip": ["preview", str(clip), "--transcript", "hello", "-o", out],
        "odd size": ["preview", str(clip), "--size", "301", "-o", out],
        "missing second clip": ["preview", str(clip), "--side-by-side",
                                str(tmp_path / "nope.json"), "-o", out],
    }[case]
    code, out_text, err = run(capsys, *argv)
    assert code == 1
    assert out_text == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("voxrig: error: "), err
    assert not (tmp_path / "out.mp4").exists()


def test_a_failed_render_keeps_the_old_video_and_leaves_no_temporary_file(tmp_path, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    save_clip(talking_clip(0.2, 30.0), a)
    save_clip(talking_clip(0.2, 25.0), b)  # different fps: refused while rendering
    out = tmp_path / "out.mp4"
    out.write_bytes(b"the previous video")
    code, _, err = run(capsys, "preview", str(a), "--side-by-side", str(b), "-o", str(out))
    assert code == 1 and "same fps" in err
    assert out.read_bytes() == b"the previous video"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.json", "out.mp4"]


def test_without_imageio_ffmpeg_the_error_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # as if not installed
    with pytest.raises(VoxrigError, match=r"pip install 'voxrig\[preview\]'"):
        encode_mp4([np.zeros((16, 16, 3), np.uint8)], 30.0, tmp_path / "x.mp4")
    assert not list(tmp_path.iterdir())
