"""Loudness pass: the envelope follows the voice, quiet stretches become pauses, the jaw
follows loudness."""

import numpy as np

from voxrig.core.animator.loudness import (
    loud_silences,
    loudness_track,
    modulate_jaw,
    quiet_pauses,
)
from voxrig.core.features import loudness_db, normalised_loudness
from voxrig.core.names import ARKIT_INDEX
from voxrig.core.phones import Phone

SR = 16000


def bursts():
    """0.5 s of a loud vowel-like tone, 0.6 s near-silence, 0.5 s of a tone 12 dB quieter."""
    rng = np.random.default_rng(0)
    t = np.arange(int(1.6 * SR)) / SR
    x = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.sin(2 * np.pi * 660 * t)
    x[(t >= 0.5) & (t < 1.1)] = 0.0
    x[t >= 1.1] *= 10 ** (-12 / 20)
    return (x + 1e-4 * rng.standard_normal(t.size)).astype(np.float32), t


def test_loudness_is_centred_on_its_frame_times():
    x, _ = bursts()
    db = loudness_db(x, SR, rate=100.0)
    assert db.size == int(1.6 * 100) + 1
    assert db[25] > db[80] + 40  # tone vs silence
    # the edge of the tone at 0.5 s sits half way between the two levels at frame 50
    assert abs(db[50] - 0.5 * (db[40] + db[80])) < 6.0 + abs(db[40] - db[80]) / 2


def test_normalised_loudness_is_one_at_the_vowel_level_and_zero_in_silence():
    x, _ = bursts()
    level = normalised_loudness(loudness_db(x, SR))
    assert level[20] > 0.95 and level[80] == 0.0
    assert 0.45 < level[140] < 0.75  # 12 dB quieter of a 30 dB range


def test_quiet_stretches_become_pauses_and_phones_there_are_cut():
    x, _ = bursts()
    times = np.arange(0, 1.6, 0.005)
    loud = loudness_track(x, SR, times)
    phones = [Phone("AA", 0.0, 0.8), Phone("N", 0.8, 0.9), Phone("IY", 0.9, 1.6)]
    out = quiet_pauses(phones, times, loud, pause_min=0.25)
    labels = [p.label for p in out]
    assert "sil" in labels and "N" not in labels
    sil = out[labels.index("sil")]
    assert abs(sil.start - 0.5) < 0.03 and abs(sil.end - 1.1) < 0.03
    assert all(a.end <= b.start + 1e-9 for a, b in zip(out, out[1:], strict=False))


def test_short_quiet_gaps_are_left_to_the_phones():
    x, t = bursts()
    x[(t > 0.2) & (t < 0.3)] = 0.0  # a 100 ms stop closure
    times = np.arange(0, 1.6, 0.005)
    phones = [Phone("AA", 0.0, 0.5), Phone("sil", 0.5, 1.1), Phone("IY", 1.1, 1.6)]
    out = quiet_pauses(phones, times, loudness_track(x, SR, times), pause_min=0.25)
    assert [p.label for p in out if p.end <= 0.5] == ["AA"]


def test_quiet_syllables_open_the_jaw_less_than_loud_ones():
    w = np.zeros((3, 52))
    w[:, ARKIT_INDEX["jawOpen"]] = 0.3
    jaw = modulate_jaw(w, np.array([1.0, 0.5, 0.0]), share=0.0)[:, ARKIT_INDEX["jawOpen"]]
    assert np.isclose(jaw[0], 0.3) and jaw[0] > jaw[1] > jaw[2] > 0


def test_a_share_of_the_jaw_follows_the_voice_whatever_the_phone():
    w = np.zeros((2, 52))  # the phones say: mouth nearly shut (a misheard consonant)
    w[:, ARKIT_INDEX["jawOpen"]] = 0.05
    loud = np.array([1.0, 0.0])
    jaw = modulate_jaw(w, loud, share=0.6)[:, ARKIT_INDEX["jawOpen"]]
    assert jaw[0] > 0.15  # a loud vowel opens the mouth
    assert jaw[1] < 0.05  # silence does not
    assert np.allclose(modulate_jaw(w, loud, 0.0)[0], w[0])  # at full voice share 0 = phones


def test_silence_labels_over_loud_voice_become_speech():
    x, _ = bursts()
    times = np.arange(0, 1.6, 0.005)
    loud = loudness_track(x, SR, times)
    # the recogniser missed the first tone entirely and called it silence
    phones = [Phone("sil", 0.0, 1.1), Phone("IY", 1.1, 1.6)]
    out = loud_silences(phones, times, loud)
    spoken = [p for p in out if p.label == "AH"]
    assert len(spoken) == 1 and spoken[0].start < 0.03 and abs(spoken[0].end - 0.5) < 0.03
    assert out[-1] == Phone("IY", 1.1, 1.6)  # phones that were heard stay as they are


def test_loudness_ignores_rumble_below_the_voice():
    t = np.arange(SR) / SR
    rumble = (0.5 * np.sin(2 * np.pi * 15 * t)).astype(np.float32)  # DC drift / handling noise
    voice = (0.05 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    assert loudness_db(rumble + voice, SR)[50] < loudness_db(voice, SR)[50] + 3.0


def test_faint_noise_without_a_voice_is_not_taken_for_speech():
    rng = np.random.default_rng(1)
    hiss = (3e-4 * rng.standard_normal(SR * 2)).astype(np.float32)  # about -70 dBFS
    level = normalised_loudness(loudness_db(hiss, SR))
    assert level.max() < 0.75  # never "loud voice"
