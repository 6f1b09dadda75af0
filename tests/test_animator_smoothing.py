"""Smoothing pass: zero phase (no lag), softer corners, driven channels only."""

import numpy as np

from voxrig.core.animator.smoothing import smooth
from voxrig.core.names import ARKIT_INDEX

RATE = 200.0


def test_smoothing_does_not_delay_a_pulse():
    w = np.zeros((400, 52))
    jaw = ARKIT_INDEX["jawOpen"]
    w[180:220, jaw] = 0.3  # a pulse centred at sample 199.5
    s = smooth(w, RATE)[:, jaw]
    centre = np.sum(np.arange(400) * s) / np.sum(s)
    assert abs(centre - 199.5) < 0.01
    assert np.isclose(s.sum(), w[:, jaw].sum())  # nothing lost, nothing added


def test_smoothing_rounds_steps_into_ramps():
    w = np.zeros((200, 52))
    w[100:, ARKIT_INDEX["mouthPucker"]] = 0.5
    s = smooth(w, RATE)[:, ARKIT_INDEX["mouthPucker"]]
    assert 0.2 < s[99] < 0.3 and 0.2 < s[100] < 0.3
    assert np.all(np.diff(s) >= -1e-12)


def test_smoothing_leaves_constant_curves_alone():
    w = np.full((50, 52), 0.2)
    assert np.allclose(smooth(w, RATE)[:, ARKIT_INDEX["jawOpen"]], 0.2)
