"""What the trainer is given: every version of a GRID clip keeps its tracked lips on the
video's timing (no speed change), and other clips carry no lip track."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch", reason="the training extra (torch) is not installed")

from training.features import Item, versions  # noqa: E402
from voxrig.core.mel import frame_count  # noqa: E402
from voxrig.core.phones import Phone  # noqa: E402


def _speech_like(seconds: float = 1.2) -> np.ndarray:
    t = np.arange(int(seconds * 16000)) / 16000
    return (0.3 * np.sin(2 * np.pi * 180 * t) * (np.sin(2 * np.pi * 3 * t) > 0)).astype(np.float32)


def test_a_grid_clips_tracked_lips_survive_every_augmented_version_unchanged():
    x = _speech_like()
    n = frame_count(len(x))
    lips = np.linspace(0.0, 0.3, n).astype(np.float32)
    phones = [Phone("sil", 0.0, 0.2), Phone("AA", 0.2, 0.9), Phone("sil", 0.9, 1.2)]
    made = versions(Item("grid", x, phones, None, 6, seed=5, lips=lips), babble=None)
    assert len(made) == 7
    for version in made:
        assert len(version["mel"]) == n  # never sped up: the video's timing holds
        np.testing.assert_allclose(version["lips"].astype(np.float32), lips, atol=1e-3)


def test_clips_without_a_lip_track_carry_none():
    x = _speech_like()
    phones = [Phone("AA", 0.0, 1.2)]
    for version in versions(Item("synthetic-en", x, phones, None, 1, seed=1), babble=None):
        assert np.isnan(version["lips"].astype(np.float32)).all()
