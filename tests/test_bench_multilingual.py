"""The label transfer of bench/multilingual.py: DTW finds known warps, and espeak phones carried
over DTW land near the true phones of a differently paced utterance."""

from __future__ import annotations

import numpy as np

from bench import multilingual as ml
from voxrig.core.names import SILENCE
from voxrig.core.phones import Phone


def _signal(frames: int, seed: int = 0) -> np.ndarray:
    """(frames, 4) smooth random features: a sequence DTW can only align one right way."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(size=(frames, 4))
    kernel = np.hanning(9) / np.hanning(9).sum()
    return np.stack([np.convolve(steps[:, k], kernel, mode="same") for k in range(4)], 1) * 5


def _stretched(y: np.ndarray, factor: float) -> tuple[np.ndarray, np.ndarray]:
    """y resampled to `factor` times as many frames, and the y-frame each new frame came from."""
    n = int(round(len(y) * factor))
    source = np.linspace(0, len(y) - 1, n)
    x = np.stack([np.interp(source, np.arange(len(y)), y[:, k]) for k in range(y.shape[1])], 1)
    return x, source


def test_dtw_aligns_a_time_stretched_copy_back_within_two_frames():
    y = _signal(200)
    for factor in (0.6, 1.0, 1.5):
        x, source = _stretched(y, factor)
        path = ml.dtw_path(x, y)
        assert tuple(path[0]) == (0, 0) and tuple(path[-1]) == (len(x) - 1, len(y) - 1)
        assert np.all(np.diff(path, axis=0) >= 0)
        error = np.abs(path[:, 1] - source[path[:, 0]])
        assert np.median(error) <= 1.0 and error.max() <= 2.5, factor


def test_dtw_holds_through_a_pause_the_template_lacks():
    y = _signal(150, seed=1)
    pause = np.repeat(y[75:76], 60, axis=0)  # the real speaker stops for 0.6 s
    x = np.concatenate([y[:75], pause, y[75:]])
    path = ml.dtw_path(x, y)
    after = path[path[:, 0] >= 135]
    assert np.all(np.abs(after[:, 1] - (after[:, 0] - 60)) <= 2)


def test_warp_times_takes_the_first_real_frame_of_a_synthetic_frame():
    path = np.array([(0, 0), (1, 1), (2, 1), (3, 1), (4, 2), (5, 3)])
    assert np.allclose(ml.warp_times(path, np.array([0.0, 0.01, 0.02, 0.03])),
                       [0.0, 0.01, 0.04, 0.05])


def test_heard_pauses_become_silence_and_short_closures_stay():
    rate = 16000
    t = np.arange(int(2.0 * rate)) / rate
    voice = 0.3 * np.sin(2 * np.pi * 220 * t)
    voice[int(0.8 * rate) : int(1.3 * rate)] = 0.0  # a 0.5 s pause
    voice[int(0.4 * rate) : int(0.48 * rate)] = 0.0  # an 80 ms stop closure
    phones = [Phone("AA", 0.0, 1.0), Phone("M", 1.0, 1.1), Phone("AA", 1.1, 2.0)]
    out = ml.with_heard_pauses(phones, voice)
    silences = [p for p in out if p.label == SILENCE]
    assert len(silences) == 1
    assert abs(silences[0].start - 0.8) <= 0.03 and abs(silences[0].end - 1.3) <= 0.03
    assert out[0].label == "AA" and out[0].end > 0.5  # the closure is left to the phones


def test_transfer_recovers_the_phones_of_a_slower_utterance():
    """espeak says a sentence slowly (the 'recording', with exact phones); the transfer from its
    default-paced twin must put the boundaries within a few frames of the truth."""
    text = "Bobby bought a map of the old harbour."
    real = ml.synthesise(text, "en", rate=120)
    got = ml.transfer_phones(real.samples, text, "en")
    errors = ml.boundary_errors(real.phones, got.phones)
    assert errors.size >= 20
    assert np.median(errors) <= 0.01
    duration = len(real.samples) / 16000
    assert ml.frame_agreement(real.phones, got.phones, duration) >= 0.9


def test_language_of_clip_names_and_scripts():
    assert ml.language_of("common_voice_ja_24511055", "真っ昼間") == "ja"
    assert ml.language_of("x", "はい") == "ja"
    assert ml.language_of("se10x016-08071999-1334_u0016002", "Testar en två") == "sv"
    assert ml.language_of("13697_11991_000000", "la sorpresa") == "es"
    assert ml.language_of("61-70968-0000", "HE BEGAN") == "en"
    assert ml.language_of("multilingual_ipa_us_2", "hey josh") == "en"
    assert ml.language_of("devanagari", "हैंः") is None
