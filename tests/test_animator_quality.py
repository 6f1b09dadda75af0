"""Lip-sync quality of the animator on real English speech with reference phone tiers,
measured with the project's metrics (DESIGN.md): the reference timing must give near-perfect
events at every common frame rate, with and without the audio passes."""

from __future__ import annotations

import pytest

from bench import datasets, metrics
from voxrig.core.animator import animate
from voxrig.core.audio import load_audio

needs_data = pytest.mark.skipif(
    not (datasets.data_root() / "english").is_dir(), reason="shared data not present"
)


@needs_data
@pytest.mark.parametrize("fps", [24.0, 29.97, 60.0])
@pytest.mark.parametrize("with_audio", [False, True])
def test_reference_phones_give_near_perfect_events(fps, with_audio):
    predictions = []
    for clip in datasets.english_phone_clips():
        audio = load_audio(clip.audio) if with_audio else None
        out = animate(clip.timeline(), fps, audio=audio)
        predictions.append((out.weights, fps, clip.phones))
    score = metrics.score_clips(predictions)
    assert score.event >= 0.95
    assert min(score.B, score.O, score.R, score.S) >= 0.9
