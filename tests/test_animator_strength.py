"""Strength pass: 0 is a still face, 1 unchanged, > 1 crisper; closures survive any strength."""

import numpy as np

from voxrig.core.animator.poses import POSES, pose_matrix
from voxrig.core.animator.strength import apply_strength, apply_viseme_strength
from voxrig.core.names import OVR15
from voxrig.core.rig import mouth_signals


def test_zero_strength_is_still_and_one_is_unchanged():
    w = pose_matrix()
    assert np.all(apply_strength(w, 0.0) == 0)
    assert np.allclose(apply_strength(w, 1.0), w)


def test_strength_scales_articulation_and_stays_in_range():
    w = pose_matrix()
    half = apply_strength(w, 0.5)
    assert np.allclose(half, 0.5 * w)
    assert apply_strength(w, 4.0).max() <= 1.0


def test_lips_stay_sealed_at_reduced_strength():
    row = pose_matrix()[[list(POSES).index("P")]]
    for s in (0.2, 0.5, 1.0, 1.5):
        gap, _ = mouth_signals(apply_strength(row, s).astype(np.float32))
        assert gap[0] <= 0.8  # never more open than the neutral face


def test_viseme_strength_mixes_towards_silence_and_keeps_the_sum():
    v = np.zeros((3, 15))
    v[:, OVR15.index("aa")] = 1.0
    out = apply_viseme_strength(v, 0.25)
    assert np.allclose(out.sum(axis=1), 1.0)
    assert np.allclose(out[:, OVR15.index("sil")], 0.75)
