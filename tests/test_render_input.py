"""`voxrig render` on input it cannot use: one line naming the file, exit 1, no traceback.
Every case runs the real command line; the videos of other people's faces are tracked by the
real FaceMesh in .venv-track (scripts/test makes it), as a user's mediapipe venv would."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from video_probe import read_frames

from voxrig.bridge.cli import SAMPLE_AUDIO, main
from voxrig.bridge.preview.video import encode_mp4
from voxrig.bridge.render import tracking
from voxrig.bridge.render.command import DEMO_FACE, DEMO_VIDEO

REPO = Path(__file__).resolve().parents[1]
TRACK_PYTHON = REPO / ".venv-track" / "bin" / "python"


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def one_error(code: int, err: str) -> str:
    """The single error line of a failed run."""
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("voxrig: error: "), err
    assert "Traceback" not in err
    return lines[0].removeprefix("voxrig: error: ")


@pytest.fixture()
def speech(tmp_path: Path) -> Path:
    """The first second of the bundled LJSpeech sample (real speech), as a wav."""
    samples, rate = sf.read(SAMPLE_AUDIO, dtype="float32")
    path = tmp_path / "speech.wav"
    sf.write(path, samples[:rate], rate)
    return path


@pytest.fixture()
def facemesh(monkeypatch) -> None:
    """Face tracking as a user gets it: mediapipe in a venv of its own."""
    assert TRACK_PYTHON.exists(), "make .venv-track first: bash scripts/venv-track"
    monkeypatch.setenv(tracking.PYTHON_VARIABLE, str(TRACK_PYTHON))


@pytest.fixture(scope="module")
def demo_frames() -> np.ndarray:
    """The first second of the bundled demo video: one real face, frontal."""
    return read_frames(DEMO_VIDEO, 360, 288)[:25]


def video(path: Path, frames: np.ndarray) -> Path:
    encode_mp4(frames, 25, path)
    return path


def test_a_video_without_a_face_is_one_line(speech, tmp_path, capsys, facemesh) -> None:
    empty = video(tmp_path / "wall.mp4", np.full((25, 288, 360, 3), 90, np.uint8))
    message = one_error(*run(capsys, "render", str(speech), "--video", str(empty),
                             "-o", str(tmp_path / "out.mp4")))
    assert message.startswith(f"no face found in video '{empty}'")
    assert not (tmp_path / "out.mp4").exists()


def test_the_video_is_checked_before_the_audio_is_baked(tmp_path, capsys, facemesh) -> None:
    """A long line is not baked for nothing: the face is tracked first (here the audio is
    not even readable, and the error is still the video's)."""
    empty = video(tmp_path / "wall.mp4", np.full((25, 288, 360, 3), 90, np.uint8))
    broken = tmp_path / "line.wav"
    broken.write_bytes(b"RIFF not really a wave file")
    message = one_error(*run(capsys, "render", str(broken), "--video", str(empty),
                             "-o", str(tmp_path / "out.mp4")))
    assert message.startswith(f"no face found in video '{empty}'")


def test_a_video_of_two_faces_is_one_line(speech, tmp_path, capsys, facemesh,
                                          demo_frames) -> None:
    two = video(tmp_path / "two.mp4", np.concatenate([demo_frames, demo_frames], axis=2))
    message = one_error(*run(capsys, "render", str(speech), "--video", str(two),
                             "-o", str(tmp_path / "out.mp4")))
    assert message.startswith(f"video '{two}' shows several faces")


def test_a_face_too_small_to_redraw_is_one_line(speech, tmp_path, capsys, facemesh,
                                                demo_frames) -> None:
    frames = np.empty_like(demo_frames)
    frames[:] = demo_frames[:, :1, :1]  # the backdrop's colour
    small = demo_frames[:, ::3, ::3]  # the face at a third of its size: eyes ~22 px apart
    frames[:, 100:100 + small.shape[1], 120:120 + small.shape[2]] = small
    path = video(tmp_path / "far.mp4", frames)
    message = one_error(*run(capsys, "render", str(speech), "--video", str(path),
                             "-o", str(tmp_path / "out.mp4")))
    assert message.startswith(f"the face in video '{path}' is too small (")
    assert "at least 32 are needed" in message


def test_a_still_image_instead_of_a_video_is_one_line(speech, tmp_path, capsys,
                                                      demo_frames) -> None:
    from voxrig.bridge.render.video import ffmpeg

    picture = tmp_path / "portrait.png"
    subprocess.run([ffmpeg(), "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
                    "-s", "360x288", "-i", "-", str(picture)],
                   input=demo_frames[0].tobytes(), check=True)
    message = one_error(*run(capsys, "render", str(speech), "--video", str(picture),
                             "-o", str(tmp_path / "out.mp4")))
    assert message == f"cannot use '{picture}': it is a still image, not a video " \
                      f"(give a video of the person speaking or at rest)"


def test_a_missing_video_is_one_line(speech, tmp_path, capsys) -> None:
    missing = tmp_path / "nobody.mp4"
    message = one_error(*run(capsys, "render", str(speech), "--video", str(missing),
                             "-o", str(tmp_path / "out.mp4")))
    assert message == f"cannot read video '{missing}': file not found"


def test_a_user_video_without_mediapipe_says_what_to_install(speech, tmp_path, capsys,
                                                             monkeypatch, demo_frames) -> None:
    # this venv has numpy 2, so mediapipe cannot be in it; nothing names another interpreter
    monkeypatch.delenv(tracking.PYTHON_VARIABLE, raising=False)
    path = video(tmp_path / "me.mp4", demo_frames)
    message = one_error(*run(capsys, "render", str(speech), "--video", str(path),
                             "-o", str(tmp_path / "out.mp4")))
    assert message.startswith(f"tracking the face in video '{path}' needs mediapipe==0.10.14")
    assert "VOXRIG_FACE_PYTHON=" in message


@pytest.mark.parametrize(("content", "reason"), [
    (b"not a zip at all", "is not a .voxface (not a readable zip"),
    (None, "is incomplete: no header.json inside"),
    (b"garbage", "its generator is not a usable ONNX model"),
])
def test_a_corrupt_face_model_is_one_line(speech, tmp_path, capsys, content, reason) -> None:
    bad = tmp_path / "bad.voxface"
    if content is None or content == b"garbage":  # the demo face, a part gone or replaced
        with zipfile.ZipFile(DEMO_FACE) as src, zipfile.ZipFile(bad, "w") as dst:
            for item in src.namelist():
                if item == "generator.onnx" and content:
                    dst.writestr(item, content)
                elif item != "header.json" or content:
                    dst.writestr(item, src.read(item))
    else:
        bad.write_bytes(content)
    message = one_error(*run(capsys, "render", str(speech), "--face", str(bad),
                             "-o", str(tmp_path / "out.mp4")))
    assert message.startswith(f"face model '{bad}'")
    assert reason in message


def test_an_existing_output_needs_force(speech, tmp_path, capsys) -> None:
    out = tmp_path / "out.mp4"
    out.write_bytes(b"mine")
    message = one_error(*run(capsys, "render", str(speech), "-o", str(out)))
    assert message == f"'{out}' exists; choose another -o or pass --force to overwrite it"
    assert out.read_bytes() == b"mine"


# An install without the render extra: this venv has imageio-ffmpeg, so a meta-path finder
# placed first refuses to import it (as a missing package does) before the real CLI runs.
WITHOUT_FFMPEG = """
import sys
from importlib.abc import MetaPathFinder

class NoFfmpeg(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "imageio_ffmpeg":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoFfmpeg())
from voxrig.bridge.cli import main
sys.argv = ["voxrig", *sys.argv[1:]]
sys.exit(main())
"""


def test_render_without_the_render_extra_says_what_to_install(speech, tmp_path) -> None:
    result = subprocess.run([sys.executable, "-c", WITHOUT_FFMPEG, "render", str(speech),
                             "-o", str(tmp_path / "out.mp4")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "voxrig: error: render needs ffmpeg from the imageio-ffmpeg package: "
        "pip install 'voxrig[render]'"]


def test_the_demo_without_the_render_extra_bakes_and_says_how_to_get_its_video(
        tmp_path) -> None:  # fmt: skip
    result = subprocess.run([sys.executable, "-c", WITHOUT_FFMPEG, "demo", "--out",
                             str(tmp_path / "demo")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "(no video: render needs ffmpeg from the imageio-ffmpeg package: pip install " \
        "'voxrig[render]', then run voxrig demo again)" in result.stdout
    assert (tmp_path / "demo" / "LJ001-0001.voxrig.json").is_file()
    assert not (tmp_path / "demo" / "LJ001-0001.render.mp4").exists()


def test_a_frame_rate_other_than_the_video_s_is_one_line(speech, tmp_path, capsys) -> None:
    message = one_error(*run(capsys, "render", str(speech), "--fps", "30",
                             "-o", str(tmp_path / "out.mp4")))
    assert message == "render writes at the video's frame rate (25 fps); leave out --fps"
