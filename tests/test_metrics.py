"""The lip-sync metrics must be exactly those of DESIGN.md "Quality metrics"."""

from __future__ import annotations

import numpy as np
import pytest

from bench import datasets
from bench.metrics import (
    Counts,
    event_counts,
    event_score,
    facegood_metrics,
    jitter,
    mouth_curves,
    neutral_signals,
    resample,
    score_clips,
)
from voxrig.core.names import ARKIT52, ARKIT_INDEX, VOWELS
from voxrig.core.phones import Phone
from voxrig.core.rig import mouth_signals

needs_data = pytest.mark.skipif(
    not (datasets.data_root() / "english").is_dir(), reason="shared data not present"
)


def pose(**channels: float) -> np.ndarray:
    w = np.zeros(len(ARKIT52), dtype=np.float32)
    for name, value in channels.items():
        w[ARKIT_INDEX[name]] = value
    return w


def still(duration: float, fps: float = 30.0) -> np.ndarray:
    return np.zeros((int(duration * fps) + 2, len(ARKIT52)), dtype=np.float32)


def oracle(phones: list[Phone], fps: float = 100.0) -> np.ndarray:
    """A mouth timed exactly to the phones: closed for P/B/M, wide open for open vowels,
    half open for other vowels, puckered for UW/OW/W, at rest in silence."""
    duration = phones[-1].end
    frames = np.zeros((int(duration * fps) + 1, len(ARKIT52)), dtype=np.float32)
    t = np.arange(frames.shape[0]) / fps
    for p in phones:
        sel = (t >= p.start) & (t < p.end)
        if p.label in {"AA", "AE", "AH", "AO", "AW", "AY"}:
            frames[sel] = pose(jawOpen=0.35)
        elif p.label in {"UW", "OW"}:
            frames[sel] = pose(jawOpen=0.12, mouthPucker=1.0)
        elif p.label == "W":
            frames[sel] = pose(mouthPucker=1.0)
        elif p.label in VOWELS:
            frames[sel] = pose(jawOpen=0.12)
        elif p.label in {"P", "B", "M"}:
            frames[sel] = pose()  # lips together at rest (gv 0.76 mm)
        elif p.label != "sil":
            frames[sel] = pose(jawOpen=0.05)
    return frames


def test_rig_neutral_and_jaw_open_give_the_design_lip_gaps():
    gap0, width0 = neutral_signals()
    assert gap0 == pytest.approx(0.76, abs=0.01)
    assert width0 == pytest.approx(50.70, abs=0.01)
    jaw = np.stack([pose(jawOpen=v) for v in (0.04, 0.07, 0.16)])
    gap, _ = mouth_signals(jaw)
    assert gap == pytest.approx([2.0, 3.0, 6.0], abs=0.1)


def test_resampling_is_linear_to_100_hz_and_clips_to_unit_range():
    w = np.zeros((3, 52), dtype=np.float32)
    w[:, 17] = [0.0, 1.5, -0.2]  # out of range on purpose: judged as 1.0 and 0.0
    dense = resample(w, fps=10.0, n=21)
    assert dense.shape == (21, 52)
    np.testing.assert_allclose(dense[:11, 17], np.linspace(0.0, 1.0, 11), atol=1e-6)
    np.testing.assert_allclose(dense[10:, 17], np.linspace(1.0, 0.0, 11), atol=1e-6)


def test_curves_cover_the_requested_duration_at_100_hz():
    curves = mouth_curves(still(1.0), fps=30.0, duration=1.0)
    assert curves.gap.shape == (101,)
    assert curves.width.shape == (101,)


def test_balanced_accuracy_is_hit_rate_plus_one_minus_fp_rate_over_two():
    assert Counts(hits=3, positives=4, false_positives=1, negatives=4).balanced_accuracy == 0.75


def test_closure_counts_if_within_20_ms_of_the_bilabial_but_not_later():
    phones = [Phone("sil", 0.0, 0.5), Phone("AA", 0.5, 0.7), Phone("M", 0.7, 0.75),
              Phone("AA", 0.75, 0.95), Phone("sil", 0.95, 1.5)]
    t = np.arange(151) / 100

    def closed_between(t0: float, t1: float) -> np.ndarray:
        w = np.tile(pose(jawOpen=0.35), (151, 1))
        w[(t >= t0 - 1e-9) & (t <= t1 + 1e-9)] = pose()
        return w

    assert event_counts(closed_between(0.71, 0.74), 100.0, phones).B.hits == 1
    assert event_counts(closed_between(0.76, 0.77), 100.0, phones).B.hits == 1  # +10..20 ms
    assert event_counts(closed_between(0.78, 0.80), 100.0, phones).B.hits == 0  # +30..50 ms
    assert event_counts(closed_between(0.66, 0.675), 100.0, phones).B.hits == 0  # too early


def test_phones_shorter_than_the_minimum_are_not_judged():
    phones = [Phone("sil", 0.0, 0.1), Phone("B", 0.1, 0.125), Phone("AA", 0.125, 0.18),
              Phone("UW", 0.18, 0.225), Phone("sil", 0.225, 0.5)]
    c = event_counts(still(0.5), 30.0, phones)
    assert (c.B.positives, c.B.negatives, c.O.positives, c.R.positives) == (0, 0, 0, 0)
    assert c.S.positives == 0  # a 275 ms pause is not a rest positive


def test_rest_positives_are_pause_frames_trimmed_100_ms_each_side():
    phones = [Phone("sil", 0.0, 0.5), Phone("AA", 0.5, 0.7)]
    c = event_counts(still(0.7), 30.0, phones)
    assert c.S.positives == 31  # 0.10 .. 0.40 s at 100 Hz
    assert c.S.hits == 31


def test_negatives_are_judged_on_the_middle_half_of_the_phone():
    phones = [Phone("sil", 0.0, 0.3), Phone("AA", 0.3, 0.5), Phone("sil", 0.5, 0.8)]
    w = np.tile(pose(jawOpen=0.35), (81, 1))
    t = np.arange(81) / 100
    w[(t >= 0.30) & (t < 0.35)] = pose()  # closed in the first quarter only
    c = event_counts(w, 100.0, phones)
    assert (c.B.negatives, c.B.false_positives) == (1, 0)
    w[(t >= 0.38) & (t <= 0.40)] = pose()  # closed inside the middle half
    assert event_counts(w, 100.0, phones).B.false_positives == 1


def test_vowel_frames_count_as_left_at_rest_only_if_the_vowel_never_opens_past_3_mm():
    phones = [Phone("sil", 0.0, 0.3), Phone("IY", 0.3, 0.5), Phone("sil", 0.5, 0.8)]
    shut = still(0.8, fps=100.0)
    c = event_counts(shut, 100.0, phones)
    assert c.S.negatives == 11 and c.S.false_positives == 11
    opened = shut.copy()
    opened[40] = pose(jawOpen=0.2)  # one frame past 3 mm in the middle half
    assert event_counts(opened, 100.0, phones).S.false_positives == 0


@needs_data
def test_a_mouth_that_never_moves_scores_exactly_half():
    clips = datasets.english_phone_clips()
    score = score_clips((still(c.duration), 30.0, c.phones) for c in clips)
    assert score.event == pytest.approx(0.5, abs=1e-12)
    for category in ("B", "O", "R", "S"):
        assert getattr(score, category) == pytest.approx(0.5, abs=1e-12)


@needs_data
def test_a_phone_timed_oracle_scores_at_least_0_95():
    clips = datasets.english_phone_clips()
    score = score_clips((oracle(c.phones), 100.0, c.phones) for c in clips)
    assert score.event >= 0.95
    for category in ("B", "O", "R", "S"):
        assert getattr(score, category) >= 0.9


@needs_data
def test_counts_are_pooled_over_clips_before_balanced_accuracy():
    clips = datasets.english_phone_clips()
    per_clip = [event_counts(oracle(c.phones), 100.0, c.phones) for c in clips]
    pooled = event_score(per_clip)
    assert pooled.counts.B.positives == sum(c.B.positives for c in per_clip)
    assert pooled.counts.B.positives > 10 and pooled.counts.R.negatives > 10


@needs_data
def test_truth_against_itself_has_r_gap_1_lag_0_and_no_error():
    truth = datasets.facegood_clips()[0]
    w = truth.weights[:900]
    m = facegood_metrics(w, truth.fps, w, truth.fps)
    assert m.r_gap == pytest.approx(1.0, abs=1e-6)
    assert m.r_width == pytest.approx(1.0, abs=1e-6)
    assert m.lve == pytest.approx(0.0, abs=1e-6)
    assert m.lag == 0.0


@needs_data
@pytest.mark.parametrize("shift_frames", [3, -2])
def test_a_shifted_copy_reports_the_shift_as_lag(shift_frames):
    truth = datasets.facegood_clips()[1]
    w = truth.weights[:1800]
    shifted = np.roll(w, shift_frames, axis=0)  # positive: prediction comes late
    m = facegood_metrics(shifted, truth.fps, w, truth.fps)
    assert m.lag == pytest.approx(shift_frames / truth.fps, abs=0.011)
    assert m.r_gap < 0.99


@needs_data
def test_a_still_mouth_has_r_gap_0():
    truth = datasets.facegood_clips()[0]
    m = facegood_metrics(still(truth.duration), 30.0, truth.weights, truth.fps)
    assert m.r_gap == 0.0 and m.jitter == 0.0
    assert m.lve > 0.5


def test_jitter_is_mean_absolute_second_difference():
    assert jitter(np.arange(10.0)) == 0.0
    assert jitter(np.array([0.0, 1.0, 0.0, 1.0])) == pytest.approx(2.0)
