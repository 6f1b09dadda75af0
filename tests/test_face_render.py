"""The renderer's computation (core/face_render.py) and its face model file (.voxface): which
video frame each output frame shows, a clip's keypoints at the video's frame rate and on the
person's canvas, and a face model read back as it was written."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from voxrig.bridge.render.command import DEMO_FACE
from voxrig.bridge.render.voxface import open_generator, read_face, write_face
from voxrig.core.clip import Clip, frame_count_for
from voxrig.core.errors import VoxrigError
from voxrig.core.face_render import (
    BATCH,
    ICT_INNER_LIP,
    ICT_MOUTH,
    Generator,
    Placement,
    clip_mouth_points,
    dub,
    keypoints_at,
    ping_pong,
)
from voxrig.core.names import ARKIT52
from voxrig.core.rig import keypoints, load_rig


def test_a_short_video_plays_forwards_then_backwards_without_repeating_its_ends() -> None:
    assert ping_pong(10, 4).tolist() == [0, 1, 2, 3, 2, 1, 0, 1, 2, 3]
    assert ping_pong(3, 1).tolist() == [0, 0, 0]
    assert ping_pong(3, 5).tolist() == [0, 1, 2]  # shorter audio: the video's start


def test_a_streamed_dub_reads_frames_as_it_draws_them_and_draws_what_a_held_one_does() -> None:
    """A video longer than the clip can be given as a stream: the dub takes a batch of its
    frames at a time and none past the clip's end, and draws the frames it would draw from
    the video held as an array."""
    rng = np.random.default_rng(0)
    video = rng.integers(0, 256, (3 * BATCH, 120, 160, 3), dtype=np.uint8)
    a = np.full(len(video), 1.2 + 0.1j)  # frame -> canvas: the face fills the frame
    t = np.full(len(video), -10 + 5j)
    place = Placement(complex(8, 0), complex(96, 100), load_rig().neutral_landmarks)
    keypoints = np.zeros((BATCH + 3, 68, 3), np.float32)  # shorter than the video

    generate = Generator(lambda inputs: 1 - inputs[:, 3:6])  # draws the reference's negative

    reference = rng.integers(0, 256, (96, 96, 3), dtype=np.uint8)
    pulled = 0

    def stream():
        nonlocal pulled
        for frame in video:
            pulled += 1
            yield frame

    held = list(dub(video, a, t, reference, place, keypoints, generate))
    streamed = dub(stream(), a, t, reference, place, keypoints, generate)
    first = next(streamed)
    assert pulled == BATCH  # one batch decoded, not the video
    rest = list(streamed)
    assert pulled == len(keypoints)  # and nothing past the clip's end
    assert len(held) == 1 + len(rest) == len(keypoints)
    assert all(np.array_equal(s, h) for s, h in zip([first, *rest], held, strict=True))
    assert not np.array_equal(held[0], video[0])  # the mouth was redrawn


def jaw_clip(fps: float, seconds: float) -> Clip:
    frames = frame_count_for(seconds, fps)
    weights = np.zeros((frames, len(ARKIT52)), np.float32)
    weights[:, ARKIT52.index("jawOpen")] = np.linspace(0, 0.6, frames)
    return Clip(fps=fps, weights=weights, duration=seconds)


def test_a_clip_without_keypoints_is_read_through_the_rig_at_the_video_rate() -> None:
    clip = jaw_clip(30.0, 2.0)
    at_25 = keypoints_at(clip, 25.0)
    assert at_25.shape == (frame_count_for(2.0, 25.0), 68, 3)
    rig = keypoints(clip.weights)
    assert np.allclose(at_25[0], rig[0], atol=1e-6)
    assert np.allclose(at_25[-1], rig[-1], atol=1e-6)  # both end at 2.0 s
    # frame 5 at 25 fps (0.2 s) is frame 6 at 30 fps
    assert np.allclose(at_25[5], rig[6], atol=1e-5)


def test_at_rest_the_mouth_lands_where_the_placement_puts_the_neutral_lips() -> None:
    neutral = load_rig().neutral_landmarks.astype(np.float64)
    place = Placement(complex(8, 0), complex(96, 100), neutral)
    still = clip_mouth_points(np.zeros((2, 68, 3)), place)
    expected = 8 * (neutral[list(ICT_MOUTH), 0] - 1j * neutral[list(ICT_MOUTH), 1]) + 96 + 100j
    assert np.allclose(still[0], expected)


def test_an_open_jaw_moves_the_lower_inner_lip_down_the_canvas() -> None:
    clip = jaw_clip(25.0, 1.0)
    place = Placement(complex(8, 0), complex(96, 100), load_rig().neutral_landmarks)
    mouths = clip_mouth_points(keypoints_at(clip, 25.0), place)
    upper, lower = (ICT_MOUTH.index(i) for i in (ICT_INNER_LIP[1], ICT_INNER_LIP[3]))
    gap = mouths[:, lower].imag - mouths[:, upper].imag  # +y is down on the canvas
    assert gap[-1] > gap[0] + 5  # jawOpen 0.6: several canvas pixels apart


def test_a_face_model_reads_back_as_written(tmp_path) -> None:
    face = read_face(DEMO_FACE)
    copy = tmp_path / "copy.voxface"
    write_face(copy, face, source="test", license="CC BY 4.0")
    again = read_face(copy)
    assert again.generator == face.generator and again.name == face.name
    assert np.array_equal(again.reference, face.reference)
    assert np.array_equal(again.template, face.template)
    assert (again.ict_a, again.ict_t) == (face.ict_a, face.ict_t)
    assert again.mask_row == face.mask_row


def with_header(tmp_path, version: int = 1, top: dict | None = None, **canvas) -> object:
    """A copy of the demo face with its header's version, canvas entries and `top` entries
    changed (a None value removes the entry)."""
    out = tmp_path / "changed.voxface"
    with zipfile.ZipFile(DEMO_FACE) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.namelist():
            data = src.read(item)
            if item == "header.json":
                header = json.loads(data)
                header["version"] = version
                header["canvas"].update(canvas)
                for key, value in (top or {}).items():
                    header.pop(key, None)
                    if value is not None:
                        header[key] = value
                data = json.dumps(header).encode()
            dst.writestr(item, data)
    return out


def test_a_face_model_says_which_rows_of_the_frame_its_generator_sees(tmp_path) -> None:
    # faces trained before the whole-crop mask (their top 20 rows seen) still render as made
    assert read_face(with_header(tmp_path, mask_row=20)).mask_row == 20
    assert open_generator(read_face(with_header(tmp_path, mask_row=20)), "f").mask_row == 20
    for bad in (-1, 96, 2.5, True, "20"):
        with pytest.raises(VoxrigError, match="made for another canvas"):
            read_face(with_header(tmp_path, mask_row=bad))
    with pytest.raises(VoxrigError, match="made for another canvas"):
        read_face(with_header(tmp_path, feather=3))


def test_a_face_model_says_which_crop_columns_its_mouth_is_pasted_over(tmp_path) -> None:
    assert read_face(DEMO_FACE).columns is not None
    face = read_face(with_header(tmp_path, top={"drawn_columns": [20, 76.5]}))
    assert face.columns == (20.0, 76.5)
    assert open_generator(face, "f").columns == (20.0, 76.5)
    # a face made before the columns were kept: its mouth is pasted over the whole crop
    assert read_face(with_header(tmp_path, top={"drawn_columns": None})).columns is None
    for bad in ([40, 30], [2, 50], [20, 90], [20], "20,76", [True, 50], [20, float("nan")]):
        with pytest.raises(VoxrigError, match="damaged .drawn_columns"):
            read_face(with_header(tmp_path, top={"drawn_columns": bad}))


def test_a_face_model_of_another_version_is_refused_with_one_line(tmp_path) -> None:
    bad = with_header(tmp_path, version=2)
    with pytest.raises(VoxrigError, match=r"unsupported version 2 \(this voxrig reads version "
                                          r"1\)"):
        read_face(bad)


def test_on_canvas_moves_the_frames_with_a_face_and_drops_the_others() -> None:
    from voxrig.core.face_canvas import Similarity, on_canvas

    points = np.zeros((3, 468, 2))
    points[..., 0], points[..., 1] = 10.0, 20.0
    points[1, 5] = np.nan  # no face in frame 1
    sim = Similarity(np.array([2, 1j, 1, 1]), np.array([1, 0, 5j, 9]))  # one frame more
    canvas = on_canvas(points, sim)
    assert canvas.shape == (2, 468)
    assert np.allclose(canvas[0], 2 * (10 + 20j) + 1)
    assert np.allclose(canvas[1], (10 + 20j) + 5j)


def test_tracked_mouth_points_are_the_template_points_on_the_canvas_gaps_filled() -> None:
    from voxrig.core.face_canvas import Similarity
    from voxrig.core.face_render import MESH_MOUTH, tracked_mouth_points

    rng = np.random.default_rng(0)
    marks = rng.uniform(0, 100, (4, 468, 2))
    marks[2] = np.nan  # no face: the nearest tracked frame's points stand in
    sim = Similarity(np.full(4, 0.5 + 0.5j), np.full(4, 3 - 1j))
    points = tracked_mouth_points(marks, sim)
    assert points.shape == (4, 9)
    mesh = marks[:, list(MESH_MOUTH)]
    assert np.allclose(points[0], (0.5 + 0.5j) * (mesh[0, :, 0] + 1j * mesh[0, :, 1]) + 3 - 1j)
    assert np.allclose(points[2], points[1]) or np.allclose(points[2], points[3])
