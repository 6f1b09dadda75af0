"""`voxrig render` end to end with the bundled demo face: a real line of speech through the
real command line, the mp4 read back, and the generated mouth checked to open and close with
the speech: by the dark inner mouth in the redrawn crop and by the real FaceMesh (in
.venv-track, as bench/render_quality tracks generated frames) tracking the output's lips."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from video_probe import probe_video, read_frames

from voxrig.bridge.cli import SAMPLE_AUDIO, main
from voxrig.bridge.clipio import load_clip
from voxrig.bridge.render import facemesh
from voxrig.bridge.render.command import DEMO_TRACK, DEMO_VIDEO
from voxrig.bridge.render.tracking import load_track
from voxrig.core.clip import frame_count_for
from voxrig.core.face_canvas import LOWER_LIP, MOUTH_BOX, MOUTH_SIZE, UPPER_LIP, crop
from voxrig.core.face_render import ping_pong
from voxrig.core.names import ARKIT52
from voxrig.core.rig import mouth_signals

REPO = Path(__file__).resolve().parents[1]
TRACK_PYTHON = REPO / ".venv-track" / "bin" / "python"
SECONDS = 4.0  # longer than the 3 s demo video: the render ping-pongs it
FPS, WIDTH, HEIGHT = 25.0, 360, 288  # the demo video's
DARK = 80  # luma below this around the lips: the open mouth's shadow (on the real s1 frames
# its share follows the tracked lip gap with r 0.5-0.8)
INNER = (slice(22, 48), slice(28, 68))  # crop rows/columns around the lips (canvas y 118-144)


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict:
    """The first 4 s of the bundled LJSpeech line baked to a clip at the video's 25 fps, and
    that clip rendered by the demo face with the line's audio (once for the module)."""
    folder = tmp_path_factory.mktemp("render")
    samples, rate = sf.read(SAMPLE_AUDIO, dtype="float32")
    speech = folder / "speech.wav"
    sf.write(speech, samples[: int(SECONDS * rate)], rate)
    clip_path, out = folder / "speech.voxrig.json", folder / "speech.mp4"
    assert main(["bake", str(speech), "--keypoints", "--fps", "25", "-o", str(clip_path),
                 "-q"]) == 0
    code = main(["render", str(clip_path), "--audio", str(speech), "-o", str(out)])
    assert code == 0
    return {"speech": speech, "clip": load_clip(clip_path), "out": out}


def test_a_rendered_line_is_an_h264_video_of_the_demo_size_and_rate_with_the_audio(
        rendered) -> None:
    info = probe_video(rendered["out"])
    assert (info.width, info.height, info.fps) == (WIDTH, HEIGHT, FPS)
    assert (info.video_codec, info.pixel_format, info.audio_codec) == ("h264", "yuv420p", "aac")
    frames = read_frames(rendered["out"], WIDTH, HEIGHT)
    assert len(frames) == frame_count_for(SECONDS, FPS) == rendered["clip"].frame_count
    assert abs(info.duration - SECONDS) < 0.1


def test_rendering_audio_directly_bakes_it_and_says_the_video_is_ping_ponged(
        rendered, tmp_path, capsys) -> None:
    out = tmp_path / "direct.mp4"
    code, err = run(capsys, "render", str(rendered["speech"]), "-o", str(out))
    assert code == 0, err
    assert "the video plays forwards and backwards to cover it" in err
    assert len(read_frames(out, WIDTH, HEIGHT)) == frame_count_for(SECONDS, FPS)


def test_past_the_video_s_end_the_frames_come_from_it_played_backwards(rendered) -> None:
    out = read_frames(rendered["out"], WIDTH, HEIGHT).astype(float)
    video = read_frames(DEMO_VIDEO, WIDTH, HEIGHT).astype(float)
    eyes = (slice(60, 130), slice(100, 260))  # the upper face: never redrawn
    k = 95  # 20 frames past the end: ping_pong shows frame 74 - 20 = 54
    shown = int(ping_pong(k + 1, len(video))[k])
    assert shown == 2 * (len(video) - 1) - k
    diffs = np.array([np.abs(out[k][eyes] - v[eyes]).mean() for v in video])
    assert diffs[shown] <= diffs.min() + 0.2  # that frame, give or take H.264's noise
    assert diffs[shown] < diffs[k % len(video)]  # not the frame a plain loop would show


def inner_mouth_darkness(rendered: dict) -> np.ndarray:
    """Per output frame, the share of dark pixels around the lips of the redrawn crop, cut
    with the demo video's own canvas transform of the frame it shows."""
    frames = read_frames(rendered["out"], WIDTH, HEIGHT)
    track = load_track(DEMO_TRACK)
    shown = ping_pong(len(frames), len(track.a))
    dark = []
    for frame, k in zip(frames, shown, strict=True):
        mouth = crop(frame, track.a[k], track.t[k], MOUTH_BOX, MOUTH_SIZE)[INNER]
        luma = mouth.astype(float) @ np.array([0.299, 0.587, 0.114])
        dark.append(np.mean(luma < DARK))
    return np.array(dark)


def test_the_redrawn_mouth_darkens_as_the_clip_opens_the_jaw(rendered) -> None:
    jaw = rendered["clip"].channel("jawOpen")
    dark = inner_mouth_darkness(rendered)
    assert np.ptp(dark) > 0.01  # the mouth does open and close (real frames: up to 0.05)
    assert np.corrcoef(dark, jaw)[0, 1] >= 0.5


def test_facemesh_tracks_the_rendered_lips_opening_with_the_clip(rendered, tmp_path) -> None:
    assert TRACK_PYTHON.exists(), "make .venv-track first: bash scripts/venv-track"
    tracks = tmp_path / "tracked.npz"
    subprocess.run([str(TRACK_PYTHON), facemesh.__file__, str(rendered["out"]), str(tracks)],
                   check=True, capture_output=True, env={"OMP_NUM_THREADS": "1"})
    with np.load(tracks) as z:
        landmarks, faces = z["landmarks"], z["faces"]
    assert (faces == 1).mean() > 0.95  # one face, found in (nearly) every frame
    gap = np.hypot(*(landmarks[:, UPPER_LIP] - landmarks[:, LOWER_LIP]).T)
    clip = rendered["clip"]
    weights = np.zeros((clip.frame_count, len(ARKIT52)), np.float32)
    for i, name in enumerate(clip.channels):
        weights[:, ARKIT52.index(name)] = clip.weights[:, i]
    clip_gap, _ = mouth_signals(weights)
    both = np.isfinite(gap)
    assert np.corrcoef(gap[both], clip_gap[both])[0, 1] >= 0.5


def test_a_listening_clip_renders_a_mouth_that_stays_shut_while_the_line_plays(
        rendered, tmp_path) -> None:
    # seed S4: the clip's listening state reaches the picture through its keypoints
    clip_path, out = tmp_path / "listen.voxrig.json", tmp_path / "listen.mp4"
    assert main(["bake", str(rendered["speech"]), "--keypoints", "--fps", "25", "--listen",
                 "-o", str(clip_path), "-q"]) == 0
    assert main(["render", str(clip_path), "--audio", str(rendered["speech"]), "-o", str(out),
                 "-q"]) == 0
    talking, listening = inner_mouth_darkness(rendered), inner_mouth_darkness({"out": out})
    assert np.ptp(listening) < 0.25 * np.ptp(talking)
    assert listening.mean() < 0.5 * talking.mean()  # no open mouth's shadow
