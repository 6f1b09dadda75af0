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

from training.augment import RATE, add_breaths, augment, breath  # noqa: E402


def test_every_degradation_chain_keeps_the_length():
    rng = np.random.default_rng(2)
    x = (np.random.default_rng(3).standard_normal(RATE * 2) * 0.1).astype(np.float32)
    for _ in range(20):
        out = augment(x, rng, babble=x[::-1].copy(), allow_speed=False)
        assert len(out.samples) == len(x) and out.speed == 1.0
        assert np.all(np.isfinite(out.samples)) and np.abs(out.samples).max() <= 1.0


def test_breaths_go_only_into_long_pauses_and_leave_the_speech_alone():
    speech = (np.random.default_rng(4).standard_normal(RATE * 3) * 0.1).astype(np.float32)
    speech[RATE : 2 * RATE] = 0.0  # a 1 s pause
    speech[int(2.5 * RATE) : int(2.5 * RATE) + int(0.2 * RATE)] = 0.0  # one too short
    pauses = [(1.0, 2.0), (2.5, 2.7)]
    counts = []
    for seed in range(30):
        out, count = add_breaths(speech, pauses, np.random.default_rng(seed))
        changed = np.flatnonzero(out != speech) / RATE
        assert len(out) == len(speech)
        if count:
            assert changed.min() >= 1.05 and changed.max() <= 1.95  # inside, off the edges
            gap = out[RATE : 2 * RATE]
            assert -24.5 <= 20 * np.log10(np.sqrt(np.mean(gap[gap != 0] ** 2)) / 0.1) <= 0
        else:
            assert changed.size == 0
        counts.append(count)
    assert 0 < sum(counts) < 30  # some pauses, not all; never the short one


def test_a_breath_is_a_hiss_not_a_voice():
    b = breath(np.random.default_rng(0), 0.5)
    spectrum = np.abs(np.fft.rfft(b)) ** 2
    f = np.fft.rfftfreq(len(b), 1 / RATE)
    low = spectrum[f < 300].sum() / spectrum.sum()  # no voicing, no hum
    assert len(b) == RATE // 2 and low < 0.01
    assert b[0] ** 2 < 1e-3 and b[-1] ** 2 < 1e-3  # swells and fades, no click
