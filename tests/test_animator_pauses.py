"""Pauses pass: real pauses hold rest firmly, short gaps between words only weakly."""

import numpy as np

from voxrig.core.animator.pauses import apply_pauses
from voxrig.core.animator.poses import LABELS
from voxrig.core.animator.timing import merged_phones, place_targets
from voxrig.core.phones import Phone, PhoneTimeline


def targets(*phones):
    items = [Phone(*p) for p in phones]
    return apply_pauses(place_targets(merged_phones(PhoneTimeline(items, items[-1].end, "x"))),
                        pause_min=0.25, rest_delay=0.06, onset_lead=0.08)


def silence_rows(t):
    return np.flatnonzero(t.label == LABELS.index("sil"))


def test_long_pause_dominates_more_than_short_gap():
    t = targets(("AA", 0, 0.2), ("sil", 0.2, 0.26), ("AA", 0.26, 0.5), ("sil", 0.5, 1.5),
                ("AA", 1.5, 1.7))
    short, long = silence_rows(t)
    assert t.dominance[long].min() > 5 * t.dominance[short].max()
    assert t.dominance[long].min() > 1.0  # beats a vowel on the jaw


def test_pause_rest_starts_soon_after_speech_and_releases_before_it():
    t = targets(("AA", 0, 0.2), ("sil", 0.2, 1.2), ("AA", 1.2, 1.4))
    (s,) = silence_rows(t)
    assert np.isclose(t.lo[s], 0.26) and np.isclose(t.hi[s], 1.12)


def test_leading_and_trailing_silence_rest_from_the_edges():
    t = targets(("sil", 0, 0.5), ("AA", 0.5, 0.7), ("sil", 0.7, 1.5))
    first, last = silence_rows(t)
    assert t.lo[first] == 0 and np.isclose(t.hi[first], 0.42)
    assert np.isclose(t.hi[last], 1.5)
