"""`voxrig render` does not hold the video it dubs: when the audio fits in the video, the
frames are decoded from an ffmpeg pipe one at a time as the dub asks for them, so a long dub
holds a generator batch of frames, not minutes of them; only a video shorter than the audio
(played forwards and backwards) is held, and when it does not fit in memory a note says how
much of it plays. Every video here is a real mp4 (the demo face, encoded by voxrig's own
encoder) decoded by the real ffmpeg."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from video_probe import read_frames as read_all

from voxrig.bridge.cli import SAMPLE_AUDIO, main
from voxrig.bridge.preview.video import encode_mp4
from voxrig.bridge.render import tracking, video
from voxrig.bridge.render.command import DEMO_FACE, DEMO_TRACK, DEMO_VIDEO
from voxrig.bridge.render.tracking import load_track, person
from voxrig.bridge.render.voxface import open_generator, read_face
from voxrig.core.errors import VoxrigError
from voxrig.core.face_render import BATCH, dub, ping_pong
from voxrig.core.rig import load_rig

REPO = Path(__file__).resolve().parents[1]
TRACK_PYTHON = REPO / ".venv-track" / "bin" / "python"
FPS, WIDTH, HEIGHT = 25, 360, 288  # the demo video's
FRAME_BYTES = WIDTH * HEIGHT * 3
LONG_SECONDS = 20
EYES = (slice(60, 130), slice(100, 260))  # the upper face: never redrawn


@pytest.fixture(scope="module")
def demo() -> np.ndarray:
    """The bundled demo video's 75 frames (3 s of one real face)."""
    return read_all(DEMO_VIDEO, WIDTH, HEIGHT)


@pytest.fixture(scope="module")
def long_video(tmp_path_factory, demo) -> Path:
    """A 20 s mp4 of the demo face (its frames forwards and backwards): 148 MiB decoded."""
    path = tmp_path_factory.mktemp("stream") / "long.mp4"
    count = LONG_SECONDS * FPS
    encode_mp4((demo[k] for k in ping_pong(count, len(demo))), FPS, path)
    return path


@pytest.fixture(scope="module")
def dubbing() -> dict:
    """What a dub with the demo face needs besides the frames: its generator, placement and
    reference, and the demo track's transforms ping-ponged to the long video's length."""
    face = read_face(DEMO_FACE)
    neutral = load_rig().neutral_landmarks
    track = load_track(DEMO_TRACK)
    shown = ping_pong(LONG_SECONDS * FPS, len(track.a))
    place, reference = person(track, face, neutral)
    return {"generate": open_generator(face, str(DEMO_FACE)), "place": place,
            "reference": reference, "a": track.a[shown], "t": track.t[shown]}


def silent(dubbing: dict, count: int) -> np.ndarray | None:
    """The demo face's memory weights for `count` frames of a clip rendered without sound."""
    return dubbing["generate"].conditions(None, count, FPS)


def info() -> video.VideoInfo:
    return video.VideoInfo(WIDTH, HEIGHT, float(FPS))


def shows(frame: np.ndarray, video_frames: np.ndarray, k: int, not_k: int) -> bool:
    """Whether an output frame shows video frame k rather than frame not_k: its upper face
    (never redrawn) is the nearer to k's (the face is nearly still from frame to frame and
    H.264 adds noise, so the frame it is nearest to may be a neighbour of k)."""
    def diff(j: int) -> float:
        return float(np.abs(frame[EYES].astype(float) - video_frames[j][EYES]).mean())
    return diff(k) < diff(not_k)


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def speech(folder: Path, seconds: float) -> Path:
    samples, rate = sf.read(SAMPLE_AUDIO, dtype="float32")
    path = folder / f"speech-{seconds:g}.wav"
    sf.write(path, samples[: int(seconds * rate)], rate)
    return path


def ffmpeg_children() -> set[int]:
    """This process's child processes (Linux /proc), to see that no decoder is left over."""
    pids: set[int] = set()
    for children in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        pids.update(int(p) for p in children.read_text().split())
    return {p for p in pids if "ffmpeg" in Path(f"/proc/{p}/cmdline").read_bytes().decode(
        "utf-8", "replace")}


@pytest.mark.parametrize("limit", [30, 75, 200])  # fewer frames than the video, all, more
def test_streamed_frames_are_the_frames_read_at_once(limit) -> None:
    held = video.read_frames(DEMO_VIDEO, info(), limit)
    streamed = list(video.stream_frames(DEMO_VIDEO, info(), limit))
    assert len(streamed) == len(held) == min(limit, 75)
    assert all(np.array_equal(s, h) for s, h in zip(streamed, held, strict=True))


def test_one_frame_is_read_by_its_index_as_the_whole_video_has_it(demo) -> None:
    for k in (0, 41, 74):
        assert np.array_equal(video.read_frame(DEMO_VIDEO, info(), k), demo[k])
    with pytest.raises(VoxrigError, match=r"^cannot decode video '.*' \(it has no frame 75\)$"):
        video.read_frame(DEMO_VIDEO, info(), 75)


def test_a_video_ffmpeg_cannot_decode_is_the_same_one_line_streamed(tmp_path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all" * 100)
    with pytest.raises(VoxrigError) as held:
        video.read_frames(bad, info(), 10)
    with pytest.raises(VoxrigError) as streamed:
        list(video.stream_frames(bad, info(), 10))
    assert str(streamed.value) == str(held.value)
    assert str(streamed.value).startswith(f"cannot decode video '{bad}' (")
    assert "\n" not in str(streamed.value)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_a_stream_stopped_early_leaves_no_decoder_running(long_video) -> None:
    before = ffmpeg_children()
    frames = video.stream_frames(long_video, info(), limit=LONG_SECONDS * FPS)
    next(frames)
    assert ffmpeg_children() - before  # the decoder is running, 499 frames to go
    frames.close()
    assert ffmpeg_children() == before


def test_a_dub_of_a_video_longer_than_the_audio_decodes_frames_only_as_they_are_drawn(
        long_video, dubbing) -> None:
    """Never more than a generator batch of decoded frames waits to be drawn, and the
    decoder stops at the audio's end, not the video's."""
    count = 10 * FPS  # 10 s of audio on the 20 s video
    decoded = 0

    def counted():
        nonlocal decoded
        for frame in video.stream_frames(long_video, info(), limit=count):
            decoded += 1
            yield frame

    drawn = 0
    waiting = []
    for _ in dub(counted(), dubbing["a"], dubbing["t"], dubbing["reference"],
                 dubbing["place"], np.zeros((count, 68, 3), np.float32), dubbing["generate"],
                 silent(dubbing, count)):
        drawn += 1
        waiting.append(decoded - drawn)
    assert drawn == count and decoded == count
    assert max(waiting) <= BATCH - 1  # a batch is decoded, then drawn frame by frame


def test_a_dub_of_a_video_longer_than_the_audio_holds_a_batch_of_frames_not_the_video(
        long_video, dubbing) -> None:
    """19.5 s of a 20 s 360x288 video: held, its frames are 145 MiB (read_frames peaks at
    290 MiB with ffmpeg's output joined); streamed, the dub's whole Python heap peaks at
    about 9 MiB, four batches of frames (in, being drawn, out, being written)."""
    count = LONG_SECONDS * FPS - 13
    keypoints = np.zeros((count, 68, 3), np.float32)
    tracemalloc.start()
    try:
        frames = video.stream_frames(long_video, info(), limit=count)
        drawn = sum(1 for _ in dub(frames, dubbing["a"], dubbing["t"], dubbing["reference"],
                                   dubbing["place"], keypoints, dubbing["generate"],
                                   silent(dubbing, count)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert drawn == count
    assert peak < 6 * BATCH * FRAME_BYTES  # 14 MiB; the video is 30x that
    assert peak < count * FRAME_BYTES / 10


def test_a_streamed_dub_draws_the_same_frames_as_a_held_one(long_video, dubbing) -> None:
    count = 3 * FPS
    keypoints = np.zeros((count, 68, 3), np.float32)
    args = (dubbing["a"], dubbing["t"], dubbing["reference"], dubbing["place"], keypoints,
            dubbing["generate"], silent(dubbing, count))
    held = list(dub(video.read_frames(long_video, info(), count), *args))
    streamed = list(dub(video.stream_frames(long_video, info(), count), *args))
    assert len(streamed) == len(held) == count
    assert all(np.array_equal(s, h) for s, h in zip(streamed, held, strict=True))


def test_audio_shorter_than_the_video_plays_it_forwards_however_little_fits_in_memory(
        tmp_path, capsys, monkeypatch, demo) -> None:
    """With room for only 10 decoded frames, 1 s of audio (26 frames) still shows the
    demo video's first 26 frames in order: they were streamed, not held."""
    monkeypatch.setattr(video, "MAX_FRAME_BYTES", 10 * FRAME_BYTES)
    out = tmp_path / "short.mp4"
    code, err = run(capsys, "render", str(speech(tmp_path, 1.0)), "-o", str(out))
    assert code == 0, err
    assert "voxrig: note: the audio" not in err and "fit in memory" not in err
    frames = read_all(out, WIDTH, HEIGHT)
    assert len(frames) == 26
    held = ping_pong(len(frames), 10)  # what holding the 10 frames that fit would show
    assert all(shows(frames[k], demo, k, held[k]) for k in (15, 20, 25))


def test_a_video_too_big_to_hold_for_ping_pong_says_how_much_of_it_plays(
        tmp_path, capsys, monkeypatch, demo) -> None:
    """4 s of audio on the 3 s demo video with room for 40 of its 75 frames: the first 1.6 s
    play forwards and backwards, and a note says so (it used to happen silently)."""
    monkeypatch.setattr(video, "MAX_FRAME_BYTES", 40 * FRAME_BYTES)
    out = tmp_path / "long.mp4"
    code, err = run(capsys, "render", str(speech(tmp_path, 4.0)), "-o", str(out))
    assert code == 0, err
    assert "the video plays forwards and backwards to cover it" in err
    assert ("voxrig: note: only the video's first 1.60 s fit in memory (0.0116 GiB of "
            "decoded frames to play backwards), so that is what plays forwards and "
            "backwards") in err
    frames = read_all(out, WIDTH, HEIGHT)
    k = 50  # past the 40 held frames: ping-ponged back to frame 2 * 39 - 50 = 28
    assert int(ping_pong(k + 1, 40)[k]) == 28
    assert shows(frames[k], demo, 28, k)  # not frame 50, which all 75 held would show


def test_a_user_video_longer_than_the_audio_is_tracked_and_dubbed_streamed(
        tmp_path, capsys, monkeypatch, demo) -> None:
    """A user's video (the demo's frames, tracked by the real FaceMesh): its closed-mouth
    reference frame is read by index from the stream, and the dub plays it forwards."""
    assert TRACK_PYTHON.exists(), "make .venv-track first: bash scripts/venv-track"
    monkeypatch.setenv(tracking.PYTHON_VARIABLE, str(TRACK_PYTHON))
    monkeypatch.setattr(video, "MAX_FRAME_BYTES", 10 * FRAME_BYTES)  # holding would not do
    me = tmp_path / "me.mp4"
    encode_mp4(demo, FPS, me)
    out = tmp_path / "dub.mp4"
    code, err = run(capsys, "render", str(speech(tmp_path, 1.0)), "--video", str(me),
                    "-o", str(out))
    assert code == 0, err
    frames = read_all(out, WIDTH, HEIGHT)
    assert len(frames) == 26
    mine = read_all(me, WIDTH, HEIGHT)
    held = ping_pong(len(frames), 10)
    assert all(shows(frames[k], mine, k, held[k]) for k in (15, 20))
