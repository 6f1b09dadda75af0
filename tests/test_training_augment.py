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

from training.augment import RATE, augment  # noqa: E402


def test_every_degradation_chain_keeps_the_length():
    rng = np.random.default_rng(2)
    x = (np.random.default_rng(3).standard_normal(RATE * 2) * 0.1).astype(np.float32)
    for _ in range(20):
        out = augment(x, rng, babble=x[::-1].copy(), allow_speed=False)
        assert len(out.samples) == len(x) and out.speed == 1.0
        assert np.all(np.isfinite(out.samples)) and np.abs(out.samples).max() <= 1.0
