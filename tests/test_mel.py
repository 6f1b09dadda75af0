"""Log-mel features: the neural engine's input, offline and streaming alike."""

import numpy as np
import pytest
from scipy import signal

from voxrig.core.config import ANALYSIS_RATE
from voxrig.core.mel import (
    HOP,
    N_FFT,
    N_MELS,
    WINDOW,
    MelStream,
    frame_count,
    log_mel,
    mel_filterbank,
)


def tone(freq: float, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * ANALYSIS_RATE)) / ANALYSIS_RATE
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_one_frame_every_10_ms_on_the_loudness_grid():
    assert log_mel(np.zeros(ANALYSIS_RATE)).shape == (101, N_MELS)
    assert frame_count(159) == 1 and frame_count(160) == 2


def test_frames_match_an_independent_stft():
    x = np.random.default_rng(0).standard_normal(8000).astype(np.float32) * 0.1
    window = np.hanning(WINDOW + 2)[1:-1]
    padded = np.concatenate([np.zeros(WINDOW // 2), x, np.zeros(WINDOW)])
    _, _, z = signal.stft(padded, window=window, nperseg=WINDOW, noverlap=WINDOW - HOP,
                          nfft=N_FFT, boundary=None, padded=False, scaling="spectrum")
    power = np.abs(z * window.sum()) ** 2  # undo scipy's 1/sum(window) scaling
    expected = np.log(power.T[: frame_count(len(x))] @ mel_filterbank() + 1e-6)
    assert np.allclose(log_mel(x), expected, atol=1e-3)


@pytest.mark.parametrize("freq", [300.0, 1000.0, 4000.0])
def test_a_tone_lights_the_band_that_holds_it(freq):
    bank = mel_filterbank()
    loudest = int(np.argmax(log_mel(tone(freq))[50]))
    bin_of_tone = int(round(freq / ANALYSIS_RATE * N_FFT))
    assert bank[bin_of_tone, loudest] > 0


@pytest.mark.parametrize("piece", [1, 160, 333, 4000])
def test_streaming_in_any_piece_size_equals_offline(piece):
    x = np.random.default_rng(1).standard_normal(16000 + 77).astype(np.float32) * 0.2
    stream = MelStream()
    parts = [stream.push(x[i : i + piece]) for i in range(0, len(x), piece)]
    parts.append(stream.finish())
    streamed = np.concatenate(parts)
    assert streamed.shape == log_mel(x).shape
    assert np.abs(streamed - log_mel(x)).max() < 1e-4


def test_a_frame_comes_out_once_its_window_is_complete():
    stream = MelStream()
    assert len(stream.push(np.zeros(WINDOW // 2 - 1))) == 0
    assert len(stream.push(np.zeros(1))) == 1  # frame 0 needs samples up to +200
