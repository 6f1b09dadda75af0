"""Timing pass: targets sit where the articulation peaks; silences merge; gaps are filled."""

import numpy as np

from voxrig.core.animator.poses import LABELS
from voxrig.core.animator.timing import merged_phones, place_targets
from voxrig.core.phones import Phone, PhoneTimeline


def tl(*phones, duration=None):
    items = [Phone(*p) for p in phones]
    return PhoneTimeline(items, duration or items[-1].end, "reference")


def test_runs_of_silence_merge_and_gaps_fill_with_silence():
    phones = merged_phones(tl(("sil", 0, 0.1), ("sil", 0.1, 0.2), ("AA", 0.3, 0.4),
                              duration=0.6))
    assert [(p.label, p.start, p.end) for p in phones] == [
        ("sil", 0, 0.3), ("AA", 0.3, 0.4), ("sil", 0.4, 0.6)]


def test_unknown_labels_are_read_as_silence():
    phones = merged_phones(tl(("AA", 0, 0.1), ("NOISE", 0.1, 0.2)))
    assert phones[-1].label == "sil"


def test_vowel_plateau_is_centred_and_consonant_peak_is_short():
    t = place_targets(merged_phones(tl(("M", 0, 0.1), ("AA", 0.1, 0.3))))
    m, a = 0, 1
    assert np.isclose(t.centre[m], 0.05) and np.isclose(t.centre[a], 0.2)
    assert (t.hi[a] - t.lo[a]) > (t.hi[m] - t.lo[m])


def test_diphthongs_become_two_targets_gliding_from_first_to_second():
    t = place_targets(merged_phones(tl(("AY", 0, 0.3))))
    names = [LABELS[i] for i in t.label]
    assert names == ["AY", "IH"]
    assert t.centre[0] < 0.15 < t.centre[1]
    assert np.all(t.start == 0) and np.all(t.end == 0.3)


def test_targets_are_in_time_order():
    t = place_targets(merged_phones(tl(("sil", 0, 0.2), ("HH", 0.2, 0.25), ("OW", 0.25, 0.5),
                                       ("sil", 0.5, 0.9))))
    assert np.all(np.diff(t.centre) > 0)
