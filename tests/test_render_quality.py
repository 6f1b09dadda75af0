"""The renderer's ground (issue 17): the image metrics bench/render_quality.py judges every
face renderer with, the renderer's validation split, and the canonical-face crop that a
generated mouth is pasted back from."""

from __future__ import annotations

import numpy as np
import pytest

from bench import face_tracks, grid
from bench import render_quality as rq
from voxrig.core import face_canvas

CLIP = face_tracks.CLIPS / "bbaf2n.mp4"
needs_clips = pytest.mark.skipif(not CLIP.exists(), reason=f"GRID clips not found at {CLIP}")
C1 = (0.01 * 255) ** 2  # SSIM's luminance constant, 6.5025


@pytest.fixture(scope="module")
def frames() -> np.ndarray:
    return face_tracks.read_video(CLIP)


def textured(seed: int = 0, shape: tuple[int, int] = (48, 64)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:shape[0], :shape[1]]
    return 128 + 60 * np.sin(x / 3.0) * np.cos(y / 5.0) + rng.normal(0, 5, shape)


def test_ssim_of_an_image_with_itself_is_one() -> None:
    image = textured()
    assert rq.ssim(image, image) == pytest.approx(1.0, abs=1e-12)


def test_ssim_falls_as_noise_grows() -> None:
    image, rng = textured(), np.random.default_rng(1)
    noise = rng.normal(0, 1, image.shape)
    scores = [rq.ssim(image, image + sigma * noise) for sigma in (2, 8, 32)]
    assert 1 > scores[0] > scores[1] > scores[2]


def test_ssim_of_two_flat_images_is_the_luminance_term() -> None:
    # flat: no variance, no covariance, so SSIM = (2ab + C1) / (a^2 + b^2 + C1);
    # 100 vs 110: (22000 + 6.5025) / (22100 + 6.5025) = 0.995476...
    a, b = np.full((20, 20), 100.0), np.full((20, 20), 110.0)
    assert rq.ssim(a, b) == pytest.approx((22000 + C1) / (22100 + C1), rel=1e-12)
    assert rq.ssim(a, b) == pytest.approx(0.995476, abs=1e-6)


def test_ssim_is_symmetric() -> None:
    a, b = textured(0), textured(1)
    assert rq.ssim(a, b) == pytest.approx(rq.ssim(b, a), rel=1e-12)


def test_psnr_of_a_one_level_error_is_20_log10_255() -> None:
    assert rq.psnr(1.0) == pytest.approx(48.1308, abs=1e-4)
    assert rq.psnr(255.0 ** 2) == pytest.approx(0.0, abs=1e-12)
    assert rq.psnr(0.0) == float("inf")


def test_pearson_of_a_line_is_one_and_of_a_flat_track_is_nan() -> None:
    x = np.array([1.0, 3.0, 2.0, 5.0, np.nan])
    assert rq.pearson(x, 2 * x + 1) == pytest.approx(1.0)
    assert rq.pearson(x, -x) == pytest.approx(-1.0)
    assert np.isnan(rq.pearson(x, np.ones(5)))


def test_lower_face_box_starts_at_the_nose_base_and_holds_the_points_below() -> None:
    points = np.full((468, 2), 100.0)
    points[rq.NOSE_BASE] = (100.0, 120.0)
    points[152] = (110.0, 170.0)  # chin
    points[61], points[291] = (80.0, 150.0), (125.0, 150.0)  # mouth corners
    assert rq.lower_face_box(points, (288, 360, 3)) == (80, 120, 126, 171)
    points[5] = np.nan
    assert rq.lower_face_box(points, (288, 360, 3)) is None


def test_renderer_validation_is_80_lip_validation_clips_and_deterministic() -> None:
    split = grid.read_split()
    chosen = rq.renderer_validation(split)
    assert len(chosen) == len(set(chosen)) == 80
    assert set(chosen) <= set(split["validation"])
    assert not set(chosen) & set(split["train"])
    assert rq.renderer_validation(split) == chosen


def test_the_still_baseline_holds_the_first_frame_with_a_face() -> None:
    # a clip whose first two frames have no tracked face (as sran9s opens): holding frame 0
    # would judge an empty frame, so the baseline holds frame 2
    frames = np.arange(5, dtype=np.uint8)[:, None, None, None] * np.ones((1, 4, 4, 3), np.uint8)
    points = np.ones((5, 468, 2))
    points[:2] = np.nan
    held = rq.first_frame("x", np.zeros(1), frames, points)
    assert rq.first_tracked(points) == 2
    assert held.shape == frames.shape and (held == 2).all()
    assert rq.first_tracked(np.full((3, 468, 2), np.nan)) == 0


def test_fit_similarity_recovers_a_known_scale_rotation_and_shift() -> None:
    src = np.array([10 + 20j, 50 + 22j, 30 + 40j, 31 + 60j])
    a, t = 0.9 * np.exp(1j * np.deg2rad(4)), complex(-12, 7)
    fitted_a, fitted_t = face_canvas.fit_similarity(src, a * src + t)
    assert fitted_a == pytest.approx(a) and fitted_t == pytest.approx(t)


def test_the_frame_transforms_fill_frames_without_a_face_from_their_neighbours() -> None:
    template = np.array([60 + 70j, 85 + 72j, 107 + 72j, 130 + 70j, 96 + 74j, 96 + 90j])
    landmarks = np.zeros((5, 468, 2))
    landmarks[:, face_canvas.STABLE] = np.stack([template.real, template.imag], axis=-1)
    landmarks[2] = np.nan
    sim = face_canvas.frame_transforms(landmarks, template)
    assert np.allclose(sim.a, 1) and np.allclose(sim.t, 0, atol=1e-9)


@needs_clips
def test_a_crop_pasted_back_reproduces_the_real_mouth_region(frames: np.ndarray) -> None:
    # any similarity that puts the mouth box inside the frame: this one is about where the
    # tracked s1 face lands (scale 0.95, 2 degrees)
    frame = frames[30]
    a = 0.95 * np.exp(1j * np.deg2rad(2))
    t = complex(96, 140) - a * complex(180, 200)
    mouth = face_canvas.crop(frame, a, t, face_canvas.MOUTH_BOX, face_canvas.MOUTH_SIZE)
    back = face_canvas.paste(frame, mouth, a, t, face_canvas.MOUTH_BOX)
    changed = np.any(back != frame, axis=-1)
    region = np.abs(back.astype(int) - frame.astype(int))[changed]
    assert 4000 < changed.sum() < 96 * 96 / 0.95 ** 2  # the box's area in frame pixels
    assert region.mean() < 3.0
    assert np.percentile(region, 99) < 25


@needs_clips
def test_a_repeated_first_frame_scores_below_a_re_encode(frames: np.ndarray) -> None:
    points = np.full((len(frames), 468, 2), 200.0)
    points[:, rq.NOSE_BASE] = (180.0, 150.0)
    points[:, 0], points[:, 1] = (140.0, 230.0), (220.0, 230.0)  # a box over the mouth
    still = rq.image_scores(frames, rq.first_frame("bbaf2n", np.zeros(1), frames, points), points)
    coded = rq.image_scores(frames, rq.reencode("bbaf2n", np.zeros(1), frames, points), points)
    same = rq.image_scores(frames, frames, points)
    assert same["psnr"] == float("inf") and same["ssim"] == 1.0 and same["flicker"] == 0.0
    assert still["psnr"] < coded["psnr"] and still["ssim"] < coded["ssim"] < 1.0
    assert still["flicker"] > coded["flicker"]


def test_two_runs_of_one_renderer_keep_their_frames_apart(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(rq, "WORK", tmp_path)
    with rq.scratch_folder("first_frame") as first, rq.scratch_folder("first_frame") as second:
        assert first != second and first.parent == second.parent == tmp_path
        np.savez(first / "landmarks.npz", ids=np.array(["a"]))
        rq.keep_landmarks(first, "first_frame")
        assert (tmp_path / "first_frame" / "landmarks.npz").exists()
        assert not (first / "landmarks.npz").exists() and second.is_dir()
    assert not first.exists() and not second.exists()  # each run's folder goes with it
    with pytest.raises(RuntimeError), rq.scratch_folder("voxrig_render") as failed:
        raise RuntimeError("a renderer failed")
    assert not failed.exists()  # also when its renderer fails


def test_a_crop_pasted_over_its_mouth_columns_leaves_the_cheeks_beyond_them_to_the_frame() -> None:
    frame = np.full((288, 360, 3), 100, np.uint8)
    a, t = complex(1.0), complex(0.0)  # the canvas is the frame: crop column u is frame x 48 + u
    patch = np.full((96, 96, 3), 200, np.uint8)
    whole = face_canvas.paste(frame, patch, a, t, face_canvas.MOUTH_BOX, 8.0)
    same = face_canvas.paste(frame, patch, a, t, face_canvas.MOUTH_BOX, 8.0, (8.0, 87.0))
    assert np.array_equal(whole, same)  # the default columns are the whole crop
    drawn = face_canvas.paste(frame, patch, a, t, face_canvas.MOUTH_BOX, 8.0, (30.0, 60.0))
    row = drawn[96 + 48, :, 0].astype(int)
    assert (row[48 + 30:48 + 61] == 200).all()  # the columns take the crop whole
    assert (row[48:48 + 22] == 100).all() and (row[48 + 69:48 + 96] == 100).all()
    assert 100 < row[48 + 26] < 200  # blended over the feather between


def test_the_mouth_columns_reach_a_margin_past_where_the_mouth_corners_go() -> None:
    canvas = np.full((200, 468), np.nan, complex)
    corners = np.linspace(80, 110, 200)  # canvas x of the left corner; the right is 10 on
    canvas[:, 61], canvas[:, 291] = corners + 150j, corners + 10 + 150j
    lo, hi = face_canvas.mouth_columns(canvas)  # the corners span crop columns 32 to 72
    assert lo == pytest.approx(32 - face_canvas.MOUTH_MARGIN, abs=0.5)
    assert hi == pytest.approx(72 + face_canvas.MOUTH_MARGIN, abs=0.5)
    canvas[::2, 61], canvas[1::2, 291] = 0, 500  # corners past both edges of the crop
    assert face_canvas.mouth_columns(canvas) == (face_canvas.FEATHER, 95 - face_canvas.FEATHER)
    canvas[:, 61], canvas[:, 291] = 170, 180  # both corners past the right edge: all of it
    assert face_canvas.mouth_columns(canvas) == (face_canvas.FEATHER, 95 - face_canvas.FEATHER)
    untracked = np.full((3, 468), np.nan, complex)
    assert face_canvas.mouth_columns(untracked) == (face_canvas.FEATHER, 95 - face_canvas.FEATHER)


def test_a_margin_widens_the_lower_face_box_on_every_side_within_the_frame() -> None:
    points = np.full((468, 2), 100.0)
    points[rq.NOSE_BASE] = (100.0, 120.0)
    points[152] = (110.0, 170.0)  # chin
    points[61], points[291] = (80.0, 150.0), (125.0, 150.0)  # mouth corners
    assert rq.lower_face_box(points, (288, 360, 3), 0.0) == (80, 120, 126, 171)
    assert rq.lower_face_box(points, (288, 360, 3), 0.5) == (57, 95, 149, 196)  # 46 x 51
    assert rq.lower_face_box(points, (180, 140, 3), 2.0) == (0, 18, 140, 180)
