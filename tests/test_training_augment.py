"""The training recipe's degradations (scipy, from the `train` extra): each one changes the
sound the way a real recording would and keeps the length, so phone times stay exact."""

import os

import numpy as np
import pytest

try:
    import scipy  # noqa: F401
except ImportError:  # CI installs the `train` extra: there a missing scipy is a failure
    if os.environ.get("CI"):
        raise
    pytest.skip("the training recipe needs the `train` extra (scipy)", allow_module_level=True)

from training.augment import RATE, augment, quiet_room, room_tone  # noqa: E402


def band_share(x: np.ndarray, below_hz: float) -> float:
    power = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / RATE)
    return float(power[f < below_hz].sum() / power.sum())


def test_room_tone_is_a_low_rumble_of_unit_level():
    rng = np.random.default_rng(0)
    for _ in range(10):
        tone = room_tone(rng, RATE * 2)
        assert len(tone) == RATE * 2
        assert np.sqrt(np.mean(tone**2)) == pytest.approx(1.0, rel=1e-3)
        assert band_share(tone, 1000.0) > 0.7  # most of its power is low


def test_quiet_room_fills_digital_silence_far_below_the_voice():
    rng = np.random.default_rng(1)
    t = np.arange(RATE) / RATE
    voice = np.concatenate([0.3 * np.sin(2 * np.pi * 200 * t), np.zeros(RATE)]).astype(
        np.float32)
    filled = [quiet_room(voice, rng) for _ in range(20)]
    changed = [x for x in filled if np.any(x[RATE:] != 0)]
    assert 3 <= len(changed) <= 17  # about half of the recordings
    for x in changed:
        floor = np.sqrt(np.mean(x[RATE:] ** 2))
        assert 20 * np.log10(np.sqrt(np.mean(voice[:RATE] ** 2)) / floor) > 20


def test_every_degradation_chain_keeps_the_length():
    rng = np.random.default_rng(2)
    x = (np.random.default_rng(3).standard_normal(RATE * 2) * 0.1).astype(np.float32)
    for _ in range(20):
        out = augment(x, rng, babble=x[::-1].copy(), allow_speed=False)
        assert len(out.samples) == len(x) and out.speed == 1.0
        assert np.all(np.isfinite(out.samples)) and np.abs(out.samples).max() <= 1.0
