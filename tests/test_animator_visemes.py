"""Visemes pass: OVR-15 weights from the same targets, smooth and summing to one."""

import numpy as np

from voxrig.core.animator.pauses import apply_pauses
from voxrig.core.animator.timing import merged_phones, place_targets
from voxrig.core.animator.visemes import VISEME_OF, viseme_weights
from voxrig.core.names import ARPABET, OVR15, SILENCE
from voxrig.core.phones import Phone, PhoneTimeline

RATE = 200.0


def weights(*phones):
    items = [Phone(*p) for p in phones]
    t = apply_pauses(place_targets(merged_phones(PhoneTimeline(items, items[-1].end, "x"))),
                     0.25, 0.06, 0.08)
    times = np.arange(int(items[-1].end * RATE) + 1) / RATE
    return times, viseme_weights(t, times)


def test_every_phone_maps_to_an_ovr_viseme():
    assert set(VISEME_OF) >= set(ARPABET) | {SILENCE}
    assert set(VISEME_OF.values()) == set(OVR15)


def test_weights_sum_to_one_and_peak_on_their_phones():
    times, v = weights(("sil", 0, 0.3), ("P", 0.3, 0.38), ("AA", 0.38, 0.6), ("F", 0.6, 0.7),
                       ("UW", 0.7, 0.9), ("sil", 0.9, 1.4))
    assert np.allclose(v.sum(axis=1), 1.0)
    assert v.min() >= 0
    for name, t in (("sil", 0.1), ("PP", 0.34), ("aa", 0.49), ("FF", 0.65), ("ou", 0.8),
                    ("sil", 1.2)):
        row = v[np.argmin(np.abs(times - t))]
        assert OVR15[int(np.argmax(row))] == name


def test_weights_change_smoothly():
    _, v = weights(("sil", 0, 0.3), ("S", 0.3, 0.4), ("IY", 0.4, 0.6), ("sil", 0.6, 1.0))
    assert np.max(np.abs(np.diff(v, axis=0))) < 0.25
