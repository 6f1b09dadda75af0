"""The real English the model learns from: which clips, and what their targets say."""

from __future__ import annotations

import numpy as np
import pytest

from bench import datasets
from bench.metrics import CLOSED_GAP
from training.features import mfa_speaker_clips, phonetic_targets
from voxrig.core.align import align
from voxrig.core.audio import load_audio
from voxrig.core.rig import mouth_signals

needs_data = pytest.mark.skipif(
    not (datasets.data_root() / "multilingual" / "mfa").is_dir(), reason="shared data not present"
)


@needs_data
def test_every_transcribed_mfa_clip_is_in_the_shared_data_and_none_is_benched() -> None:
    clips = mfa_speaker_clips()
    assert len(clips) >= 40  # the file names 42; all of them ship with the shared data
    names = {path.stem for path, _ in clips}
    assert not names & {"mfa_whisper", "mfa_falsetto", "whisper", "falsetto", "falsetto2"}
    assert all(path.exists() and text.strip() for path, text in clips)


@needs_data
def test_a_long_um_is_trained_as_lips_held_shut_through_the_hum() -> None:
    path, text = next((p, t) for p, t in mfa_speaker_clips() if p.stem == "mfa_um")
    audio = load_audio(path)
    timeline = align(audio, text)
    assert timeline.source == "forced"
    hum = max((p for p in timeline.phones if p.label == "M"), key=lambda p: p.duration)
    assert hum.duration > 0.5  # "um" is held: its M lasts over half a second
    gap, _ = mouth_signals(phonetic_targets(audio.samples, timeline.phones, 1.0))
    held = gap[int((hum.start + 0.25) * 100): int((hum.end - 0.1) * 100)]  # past the closing
    assert np.max(held) <= CLOSED_GAP  # the lips stay together, not just touch once
