"""The voice's prosody behind arousal: the pitch tracker follows a voice's pitch to within a
semitone (arousal reads pitch relative to the speaker's own) and is 0 where there is none."""

import numpy as np

from voxrig.core.emotion.voice import RATE, pitch_track

SAMPLE_RATE = 16000
SEMITONE = 2 ** (1 / 12) - 1  # 5.9 %


def harmonic_voice(f0: np.ndarray) -> np.ndarray:
    """A buzzy voice-like tone (six harmonics) whose pitch follows f0 (one value a sample)."""
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    return sum(np.sin(k * phase) / k for k in range(1, 7)).astype(np.float32) * 0.3


def test_a_steady_voice_is_tracked_at_its_pitch():
    for hz in (90.0, 150.0, 240.0):
        track = pitch_track(harmonic_voice(np.full(SAMPLE_RATE, hz)), SAMPLE_RATE)
        inside = track[5:-5]
        assert np.all(inside > 0)
        assert np.median(np.abs(inside - hz)) / hz < SEMITONE


def test_a_gliding_voice_is_followed_frame_by_frame():
    glide = np.linspace(120.0, 200.0, 2 * SAMPLE_RATE)
    track = pitch_track(harmonic_voice(glide), SAMPLE_RATE)
    at = (np.arange(len(track)) / RATE * SAMPLE_RATE).astype(int).clip(0, len(glide) - 1)
    error = np.abs(track - glide[at]) / glide[at]
    assert np.all(error[5:-5] < SEMITONE)


def test_silence_and_noise_have_no_pitch():
    rng = np.random.default_rng(0)
    assert not pitch_track(np.zeros(SAMPLE_RATE, np.float32), SAMPLE_RATE).any()
    noise = rng.standard_normal(SAMPLE_RATE).astype(np.float32) * 0.1
    assert np.mean(pitch_track(noise, SAMPLE_RATE) > 0) < 0.05
