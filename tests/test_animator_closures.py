"""Closures pass: every P/B/M seals the lips, even when very short or between open vowels."""

import numpy as np

from voxrig.core.animator.closures import apply_closures, closure_envelope
from voxrig.core.names import ARKIT_INDEX
from voxrig.core.phones import Phone
from voxrig.core.rig import mouth_signals

RATE = 200.0
TIMES = np.arange(0, 1.0, 1 / RATE)


def open_mouth():
    w = np.zeros((TIMES.size, 52))
    w[:, ARKIT_INDEX["jawOpen"]] = 0.3
    w[:, ARKIT_INDEX["mouthFunnel"]] = 0.2
    w[:, ARKIT_INDEX["mouthLowerDownLeft"]] = 0.2
    return w


def test_envelope_holds_at_least_the_minimum_even_for_a_10_ms_phone():
    env = closure_envelope([Phone("P", 0.5, 0.51)], TIMES, min_hold=0.05, ramp=0.03)
    held = TIMES[env >= 1.0]
    assert held.max() - held.min() >= 0.05 - 1 / RATE
    assert np.isclose(0.5 * (held.max() + held.min()), 0.505, atol=1 / RATE)


def test_a_held_m_is_sealed_from_near_its_start_to_near_its_end():
    # "mmm" for 0.7 s: the lips meet as the hum starts, not when its middle comes
    env = closure_envelope([Phone("M", 0.2, 0.9)], TIMES, min_hold=0.05, ramp=0.03)
    held = TIMES[env >= 1.0]
    assert held.min() <= 0.2 + 0.03 + 1 / RATE
    assert held.max() >= 0.9 - 0.03 - 1 / RATE


def test_a_short_bilabial_keeps_its_seal_centred_with_room_for_the_ramps():
    env = closure_envelope([Phone("B", 0.5, 0.6)], TIMES, min_hold=0.05, ramp=0.03)
    held = TIMES[env >= 1.0]
    assert np.isclose(held.min(), 0.52, atol=1 / RATE)  # 20 % of the phone either side
    assert np.isclose(held.max(), 0.58, atol=1 / RATE)


def test_envelope_ignores_other_phones_and_ramps_smoothly():
    env = closure_envelope([Phone("T", 0.2, 0.3), Phone("M", 0.5, 0.6)], TIMES, 0.05, 0.03)
    assert np.all(env[TIMES < 0.4] == 0)
    assert np.max(np.abs(np.diff(env))) < 0.3  # a 30 ms ramp, no jump


def test_seal_closes_the_lips_on_the_rig_whatever_the_jaw_does():
    w = open_mouth()
    env = closure_envelope([Phone("B", 0.5, 0.52)], TIMES, 0.05, 0.03)
    gap, _ = mouth_signals(apply_closures(w, env).astype(np.float32))
    assert gap[env >= 1.0].max() == 0.0
    assert gap[env == 0].min() > 6.0  # untouched elsewhere


def test_fast_bilabials_each_get_their_own_closure():
    # "mama" spoken fast: 40 ms bilabials, 50 ms vowels
    phones = [Phone("M", 0.30, 0.34), Phone("AA", 0.34, 0.39), Phone("M", 0.39, 0.43)]
    env = closure_envelope(phones, TIMES, 0.03, 0.015)
    gap, _ = mouth_signals(apply_closures(open_mouth(), env).astype(np.float32))
    for p in (phones[0], phones[2]):
        inside = (p.start <= TIMES) & (p.end >= TIMES)
        assert gap[inside].min() <= 0.5
    middle = (TIMES >= 0.36) & (TIMES <= 0.37)
    assert gap[middle].max() > 3.0  # and the vowel between them still opens


def test_mouth_close_never_exceeds_the_jaw_opening():
    w = np.zeros((TIMES.size, 52))
    w[:, ARKIT_INDEX["jawOpen"]] = 0.05
    w[:, ARKIT_INDEX["mouthClose"]] = 0.3  # blended from a neighbouring closure, too far
    out = apply_closures(w, np.zeros(TIMES.size))
    assert np.all(out[:, ARKIT_INDEX["mouthClose"]] <= 0.05 + 0.02 + 1e-12)
