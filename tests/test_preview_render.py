"""The preview renderer: what the frames show (a centred head, an open mouth with teeth and a
dark inside, landmark dots, two labelled heads) and that drawing the still parts once changes
nothing."""


import numpy as np
import pytest

from voxrig.bridge.preview.compose import arkit_weights, preview_frames
from voxrig.bridge.preview.overlay import KEYPOINT_COLOUR, draw_text, side_by_side
from voxrig.bridge.preview.render import (
    BACKGROUND_BOTTOM,
    BACKGROUND_TOP,
    HeadRenderer,
    View,
    project,
)
from voxrig.core.clip import Clip
from voxrig.core.errors import VoxrigError
from voxrig.core.names import ARKIT52
from voxrig.core.rig import load_rig

SIZE = 512


def weights(**channels: float) -> np.ndarray:
    w = np.zeros(len(ARKIT52), dtype=np.float32)
    for name, value in channels.items():
        w[ARKIT52.index(name)] = value
    return w


OPEN = weights(jawOpen=0.45, mouthLowerDownLeft=0.4, mouthLowerDownRight=0.4,
               mouthUpperUpLeft=0.4, mouthUpperUpRight=0.4)
CLOSED = weights()


@pytest.fixture(scope="module")
def renderer() -> HeadRenderer:
    return HeadRenderer(np.stack([CLOSED, OPEN]))


def polygon_mask(points: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Pixels whose centres lie inside a polygon (even-odd rule)."""
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]] + 0.5
    inside = np.zeros(shape, dtype=bool)
    for (x0, y0), (x1, y1) in zip(points, np.roll(points, -1, axis=0), strict=True):
        crosses = (y0 > yy) != (y1 > yy)
        x_cross = x0 + (yy - y0) * (x1 - x0) / (y1 - y0 if y1 != y0 else 1e-9)
        inside ^= crosses & (xx < x_cross)
    return inside


def test_open_mouth_shows_teeth_and_a_dark_inside_that_a_closed_mouth_hides(renderer):
    # The opening: inside the inner lip contour (landmarks 60-67) of the open pose.
    opening = polygon_mask(renderer.screen_points(OPEN, renderer.rig.landmarks68[60:68]),
                           (SIZE, SIZE))
    assert opening.sum() > 500
    seen = {}
    for name, w in (("closed", CLOSED), ("open", OPEN)):
        rgb = renderer.render(w)[opening].astype(np.int32)
        luma = rgb.mean(axis=1)
        teeth = (luma > 150) & (np.ptp(rgb, axis=1) < 40)
        seen[name] = (teeth.mean(), (luma < 100).mean(), np.median(luma))
    (closed_teeth, closed_dark, closed_luma), (open_teeth, open_dark, open_luma) = \
        seen["closed"], seen["open"]
    assert open_teeth > 0.04 and open_teeth > 3 * closed_teeth  # teeth show through
    assert open_dark > 0.7 and closed_dark < 0.5  # the mouth socket is dark
    assert open_luma < 0.6 * closed_luma


def test_frame_is_512_square_rgb_with_the_head_centred(renderer):
    image = renderer.render(CLOSED)
    assert image.shape == (SIZE, SIZE, 3) and image.dtype == np.uint8
    t = np.linspace(0.0, 1.0, SIZE)[:, None, None]
    background = (np.array(BACKGROUND_TOP) * (1 - t) + np.array(BACKGROUND_BOTTOM) * t) * 255
    head = np.any(np.abs(image - background) > 12, axis=2)
    assert 0.3 < head.mean() < 0.8
    ys, xs = np.nonzero(head)
    assert abs(xs.mean() - SIZE / 2) < 0.12 * SIZE
    assert abs(ys.mean() - SIZE / 2) < 0.12 * SIZE
    # The face looks out of the picture: the nose tip projects inside the frame's middle.
    nose = project(renderer.view, load_rig().neutral[load_rig().landmarks68[30:31]])[0]
    assert 0.35 * SIZE < nose[0] < 0.75 * SIZE and 0.3 * SIZE < nose[1] < 0.6 * SIZE


def test_drawing_the_still_parts_once_gives_the_same_frame_as_drawing_everything(renderer):
    everything_moves = HeadRenderer(np.ones((1, len(ARKIT52)), dtype=np.float32))
    assert len(everything_moves._dynamic) > len(renderer._dynamic)
    for w in (CLOSED, OPEN):
        fast = renderer.render(w).astype(np.int32)
        full = everything_moves.render(w).astype(np.int32)
        differs = np.any(np.abs(fast - full) > 24, axis=2)
        assert differs.mean() < 0.002  # only sub-pixel edge differences from still vertices


def test_keypoints_draw_dots_on_the_68_projected_landmarks():
    clip = Clip(fps=30.0, weights=np.stack([OPEN, OPEN]))
    plain = next(preview_frames([clip]))
    dotted = next(preview_frames([clip], keypoints=True))
    colour = np.all(dotted == KEYPOINT_COLOUR, axis=2)
    assert np.count_nonzero(np.all(plain == KEYPOINT_COLOUR, axis=2)) == 0
    renderer = HeadRenderer(clip.weights)
    points = np.rint(renderer.screen_points(OPEN, renderer.rig.landmarks68)).astype(int)
    on_dot = colour[points[:, 1], points[:, 0]]
    assert on_dot.mean() > 0.95


def test_side_by_side_puts_two_labelled_heads_next_to_each_other():
    a = Clip(fps=30.0, weights=np.stack([CLOSED] * 3))
    b = Clip(fps=30.0, weights=np.stack([OPEN] * 2))  # shorter: holds its last frame
    frames = list(preview_frames([a, b], size=256, labels=["A", "B"]))
    assert len(frames) == 3
    assert all(f.shape == (256, 512, 3) for f in frames)
    left, right = frames[2][:, :256], frames[2][:, 256:]
    assert not np.array_equal(left[120:], right[120:])  # different mouths
    label_rows = frames[0][8:30]
    assert np.count_nonzero(np.all(label_rows > 230, axis=2)) > 20  # caption ink


def test_side_by_side_of_clips_at_different_fps_is_refused():
    a = Clip(fps=30.0, weights=np.stack([CLOSED]))
    b = Clip(fps=25.0, weights=np.stack([CLOSED]))
    with pytest.raises(VoxrigError, match="same fps"):
        next(preview_frames([a, b]))


def test_clip_channels_are_read_by_name_in_any_order():
    names = ("jawOpen", "mouthClose")
    clip = Clip(fps=30.0, weights=np.array([[0.5, 0.1]]), channels=names)
    w = arkit_weights(clip)
    assert w.shape == (1, 52)
    assert w[0, ARKIT52.index("jawOpen")] == pytest.approx(0.5)
    assert w[0, ARKIT52.index("mouthClose")] == pytest.approx(0.1)
    assert np.count_nonzero(w) == 2


def test_unknown_characters_in_labels_are_drawn_not_rejected():
    image = np.zeros((40, 200, 3), dtype=np.uint8)
    draw_text(image, "voxrig 1.5x ~ é", 2, 2)
    assert np.count_nonzero(image) > 0
    pair = side_by_side([image, image], ["a very long caption that cannot fit", "b"])
    assert pair.shape == (40, 400, 3)


def test_view_can_be_smaller_for_quick_looks():
    renderer = HeadRenderer(np.stack([OPEN]), view=View(size=128))
    assert renderer.render(OPEN).shape == (128, 128, 3)


def test_a_held_pose_gives_the_same_frame_and_drawing_on_it_does_not_leak(renderer):
    first = renderer.render(OPEN)
    first[:10] = 0  # e.g. an overlay drawn on the returned frame
    again = renderer.render(OPEN)
    assert np.any(again[:10] != 0)
    assert np.array_equal(again[10:], first[10:])
