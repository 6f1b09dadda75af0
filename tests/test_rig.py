"""The bundled ICT rig defines keypoints and the mouth signals the metrics use."""

import numpy as np

from voxrig.core.names import ARKIT52
from voxrig.core.rig import arkit_to_ict_name, keypoints, load_rig, mouth_signals

JAW = ARKIT52.index("jawOpen")


def test_rig_has_53_ict_shapes_and_68_landmarks():
    rig = load_rig()
    assert len(rig.expression_names) == 53
    assert rig.landmarks68.shape == (68,)
    assert rig.arkit_to_ict.shape == (52, 53)


def test_every_arkit_channel_but_tongue_out_drives_an_ict_shape():
    rig = load_rig()
    driven = rig.arkit_to_ict.sum(axis=1)
    assert driven[ARKIT52.index("tongueOut")] == 0
    assert driven[ARKIT52.index("browInnerUp")] == 2 and driven[ARKIT52.index("cheekPuff")] == 2
    assert all(driven[i] == 1 for i, n in enumerate(ARKIT52)
               if n not in ("tongueOut", "browInnerUp", "cheekPuff"))
    assert arkit_to_ict_name("eyeBlinkLeft") == ["eyeBlink_L"]
    assert arkit_to_ict_name("jawLeft") == ["jawLeft"]


def test_neutral_face_has_the_design_lip_gap_and_width():
    gap, width = mouth_signals(np.zeros((1, 52), np.float32))
    assert abs(gap[0] - 0.76) < 0.01 and abs(width[0] - 50.70) < 0.01


def test_jaw_open_maps_to_the_design_lip_gaps():
    w = np.zeros((3, 52), np.float32)
    w[:, JAW] = [0.04, 0.07, 0.16]
    gap, _ = mouth_signals(w)
    np.testing.assert_allclose(gap, [2.0, 3.0, 6.0], atol=0.1)


def test_keypoints_are_zero_at_neutral_and_vectorised_over_frames():
    w = np.zeros((4, 52), np.float32)
    w[1:, JAW] = 1.0
    kp = keypoints(w)
    assert kp.shape == (4, 68, 3) and kp.dtype == np.float32
    assert np.all(kp[0] == 0)
    assert kp[1, 57, 1] < -0.5  # the lower lip centre moves down by centimetres
    np.testing.assert_allclose(kp[1], kp[3])


def test_keypoints_agree_with_posing_the_whole_mesh():
    rig = load_rig()
    w = np.random.default_rng(0).random(52).astype(np.float32) * 0.3
    full = rig.pose(w)[rig.landmarks68] - rig.neutral_landmarks
    np.testing.assert_allclose(keypoints(w[None])[0], full, atol=1e-4)


def test_weights_outside_0_1_are_clipped_before_posing():
    w = np.zeros((2, 52), np.float32)
    w[0, JAW], w[1, JAW] = 1.0, 3.0
    kp = keypoints(w)
    np.testing.assert_allclose(kp[0], kp[1])
