"""`voxrig train-face`: a person's face model from videos of them speaking. Real FaceMesh (in
.venv-track, which scripts/test makes), real torch, real GRID s1 footage; the training budget
is a few seconds, so the model is a sketch, but every stage runs and what it writes renders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import soundfile as sf

torch = pytest.importorskip("torch", reason="torch is the 'train' extra (scripts/test installs it)")

from voxrig.bridge.cli import SAMPLE_AUDIO, main  # noqa: E402
from voxrig.bridge.render import tracking  # noqa: E402
from voxrig.bridge.render.video import probe  # noqa: E402
from voxrig.bridge.render.voxface import read_face  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TRACK_PYTHON = REPO / ".venv-track" / "bin" / "python"
GRID = REPO.parent / "shared" / "data" / "video" / "grid-s1" / "clips"
CLIPS = ("bbaf2n", "bbaf4p")  # two 3 s GRID s1 clips of the same speaker


@pytest.fixture()
def facemesh(monkeypatch) -> None:
    assert TRACK_PYTHON.exists(), "make .venv-track first: bash scripts/venv-track"
    monkeypatch.setenv(tracking.PYTHON_VARIABLE, str(TRACK_PYTHON))


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("footage")
    out = []
    for clip in CLIPS:
        assert (GRID / f"{clip}.mp4").exists(), f"GRID s1 clip {clip} is missing from {GRID}"
        out.append(Path(shutil.copy(GRID / f"{clip}.mp4", folder / f"{clip}.mp4")))
    return out


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


@pytest.mark.slow
def test_a_face_trained_from_two_videos_renders_a_dub_of_one_of_them(
        videos, tmp_path, capsys, facemesh) -> None:  # fmt: skip
    face = tmp_path / "s1.voxface"
    code, err = run(capsys, "train-face", *map(str, videos), "-o", str(face),
                    "--minutes", "0.1", "--memory", "on")
    assert code == 0, err
    assert f"wrote {face}" in err and "held-out frames" in err and "still mouth" in err
    assert not (tmp_path / "s1.voxface.partial").exists()  # the work folder is cleared
    loaded = read_face(face)
    assert loaded.reference.shape == (96, 96, 3)
    assert loaded.mask_row == 0  # its generator never sees the mouth it redraws
    lo, hi = loaded.columns  # pasted over where the person's mouth corners reach, cheeks kept
    assert 8 <= lo < 30 and 66 < hi <= 87
    # S1's memory is learnt too: its prototypes are the person's own mouths
    assert loaded.memory is not None and loaded.prototypes.shape == (32, 96, 96, 3)
    assert "memory (fold 1 of 2 left out)" in err and "memory (the whole footage)" in err
    line = tmp_path / "line.wav"
    samples, rate = sf.read(SAMPLE_AUDIO, dtype="float32")
    sf.write(line, samples[: 2 * rate], rate)
    dub = tmp_path / "dub.mp4"
    code, err = run(capsys, "render", str(line), "--face", str(face), "--video",
                    str(videos[0]), "-o", str(dub))
    assert code == 0, err
    info = probe(dub)
    assert (info.width, info.height, info.fps) == (360, 288, 25.0)


@pytest.mark.slow
def test_by_default_a_face_is_the_generator_alone(videos, tmp_path, capsys,
                                                  facemesh) -> None:  # fmt: skip
    face = tmp_path / "plain.voxface"
    code, err = run(capsys, "train-face", *map(str, videos), "-o", str(face), "--minutes",
                    "0.05")
    assert code == 0, err
    assert "memory (" not in err
    loaded = read_face(face)
    assert loaded.memory is None and loaded.prototypes is None


def test_an_existing_face_model_needs_force(videos, tmp_path, capsys) -> None:
    face = tmp_path / "mine.voxface"
    face.write_bytes(b"mine")
    code, err = run(capsys, "train-face", str(videos[0]), "-o", str(face))
    assert code == 1
    assert err.strip() == (f"voxrig: error: '{face}' exists; choose another -o or pass "
                           f"--force to overwrite it")
    assert face.read_bytes() == b"mine"


def test_a_missing_video_is_one_line(tmp_path, capsys) -> None:
    code, err = run(capsys, "train-face", str(tmp_path / "nope.mp4"), "-o",
                    str(tmp_path / "x.voxface"))
    assert code == 1
    missing = tmp_path / "nope.mp4"
    assert err.strip() == f"voxrig: error: cannot read video '{missing}': file not found"


def test_an_output_that_is_not_a_voxface_is_one_line(videos, tmp_path, capsys) -> None:
    code, err = run(capsys, "train-face", str(videos[0]), "-o", str(tmp_path / "x.mp4"))
    assert code == 1
    assert "train-face writes a .voxface face model" in err and "Traceback" not in err


def test_too_little_footage_says_how_much_is_needed(tmp_path, capsys, facemesh) -> None:
    from video_probe import read_frames

    from voxrig.bridge.preview.video import encode_mp4
    from voxrig.bridge.render.command import DEMO_VIDEO

    short = tmp_path / "short.mp4"
    encode_mp4(read_frames(DEMO_VIDEO, 360, 288)[:25], 25, short)  # one second, no sound
    code, err = run(capsys, "train-face", str(short), "-o", str(tmp_path / "x.voxface"))
    assert code == 1
    lines = err.strip().splitlines()
    assert lines[-1].startswith("voxrig: error: ") and "Traceback" not in err, err


@pytest.mark.slow
def test_a_training_stopped_by_sigterm_resumes_from_its_checkpoint(videos, tmp_path, capsys,
                                                                    facemesh) -> None:
    # a real interruption: the command in its own process, stopped mid-training by a signal
    import os
    import signal
    import subprocess
    import sys
    import time

    face = tmp_path / "s1.voxface"
    argv = [sys.executable, "-m", "voxrig.bridge.cli", "train-face", *map(str, videos), "-o",
            str(face), "--minutes", "0.5", "--memory", "on"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    first = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, env=env)
    for line in first.stderr:  # tracking and baking first, then the training's first step
        if "voxrig: training: step" in line:
            break
    time.sleep(3)
    first.send_signal(signal.SIGTERM)
    rest = first.communicate(timeout=60)[1]
    assert first.returncode == 128 + signal.SIGTERM and "Traceback" not in rest, rest
    work = tmp_path / "s1.voxface.partial"
    assert (work / "checkpoint.pt").exists() and not face.exists()
    kept = Path(shutil.copytree(work, tmp_path / "kept"))
    second = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600)
    assert second.returncode == 0, second.stderr
    resumed = [line for line in second.stderr.splitlines() if "resuming from" in line]
    assert len(resumed) == 1 and "(step 0," not in resumed[0], second.stderr
    assert read_face(face).reference.shape == (96, 96, 3)
    assert not work.exists()
    # a checkpoint that cannot be read back is one line saying what to do
    shutil.copytree(kept, work)
    (work / "checkpoint.pt").write_bytes(b"not a checkpoint")
    code, err = run(capsys, *argv[3:], "--force")
    assert code == 1 and err.strip().splitlines()[-1].startswith(
        f"voxrig: error: cannot resume from '{work / 'checkpoint.pt'}'"), err
    assert "Traceback" not in err
