"""Coarticulation pass: dominance blending reaches targets, anticipates rounding, and blends
jaw and lips with their own dominance."""

import numpy as np

from voxrig.core.animator.coarticulation import blend
from voxrig.core.animator.pauses import apply_pauses
from voxrig.core.animator.poses import POSES, pose_matrix
from voxrig.core.animator.timing import merged_phones, place_targets
from voxrig.core.names import ARKIT_INDEX
from voxrig.core.phones import Phone, PhoneTimeline

RATE = 200.0


def curves(*phones):
    items = [Phone(*p) for p in phones]
    timeline = PhoneTimeline(items, items[-1].end, "x")
    t = apply_pauses(place_targets(merged_phones(timeline)), 0.25, 0.06, 0.08)
    times = np.arange(int(timeline.duration * RATE) + 1) / RATE
    return times, blend(t, pose_matrix(), times), t


def at(times, values, channel, time):
    return values[np.argmin(np.abs(times - time)), ARKIT_INDEX[channel]]


def test_a_long_vowel_reaches_its_target_pose():
    times, w, _ = curves(("sil", 0, 0.3), ("AA", 0.3, 0.6), ("sil", 0.6, 1.0))
    assert np.isclose(at(times, w, "jawOpen", 0.45), POSES["AA"]["jawOpen"], atol=0.02)


def test_rounding_is_anticipated_across_consonants():
    # "s t UW": the lips round during S and T already, as in "stoop"
    times, w, _ = curves(("sil", 0, 0.3), ("S", 0.3, 0.4), ("T", 0.4, 0.45),
                         ("UW", 0.45, 0.65), ("sil", 0.65, 1.0))
    _, plain, _ = curves(("sil", 0, 0.3), ("S", 0.3, 0.4), ("T", 0.4, 0.45),
                         ("IY", 0.45, 0.65), ("sil", 0.65, 1.0))
    assert at(times, w, "mouthPucker", 0.40) > 0.2
    assert at(times, plain, "mouthPucker", 0.40) < 0.05


def test_rounding_reaches_further_ahead_than_the_jaw():
    times, w, _ = curves(("sil", 0, 0.3), ("K", 0.3, 0.38), ("UW", 0.38, 0.6),
                         ("sil", 0.6, 1.0))
    pucker = w[:, ARKIT_INDEX["mouthPucker"]] / POSES["UW"]["mouthPucker"]
    jaw_k = at(times, w, "jawOpen", 0.34)
    assert pucker[np.argmin(np.abs(times - 0.34))] > 0.5
    assert jaw_k < POSES["UW"]["jawOpen"] + 0.03


def test_jaw_and_lips_blend_separately():
    # In a short M between open vowels the lips follow M while the jaw stays with the vowels.
    times, w, _ = curves(("AA", 0, 0.15), ("M", 0.15, 0.2), ("AA", 0.2, 0.35))
    assert at(times, w, "mouthPressLeft", 0.175) > 0.5 * POSES["M"]["mouthPressLeft"]
    assert at(times, w, "jawOpen", 0.175) > 0.5 * POSES["AA"]["jawOpen"]


def test_a_vowel_holds_its_pose_on_its_plateau_and_eases_in_and_out_monotonically():
    times, w, t = curves(("sil", 0, 0.3), ("AA", 0.3, 0.6), ("sil", 0.6, 1.0))
    jaw = w[:, ARKIT_INDEX["jawOpen"]]
    on = (times >= t.lo[1]) & (times <= t.hi[1])
    assert np.all(jaw[on] >= 0.95 * POSES["AA"]["jawOpen"])
    assert np.all(np.diff(jaw[times < t.lo[1]]) >= -1e-12)  # opening, never back
    assert np.all(np.diff(jaw[times > t.hi[1]]) <= 1e-12)  # closing, never back


def test_undriven_channels_stay_zero():
    times, w, _ = curves(("AA", 0, 0.2), ("B", 0.2, 0.3))
    assert np.all(w[:, ARKIT_INDEX["eyeBlinkLeft"]] == 0)
    assert np.all(w[:, ARKIT_INDEX["browInnerUp"]] == 0)
