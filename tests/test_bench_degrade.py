"""bench/degrade.py: each degradation does what its name says, measured on the result, and its
reference tier moves with the audio."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from scipy import signal

from bench import datasets, metrics, unseen
from bench import degrade as dg
from voxrig.core.names import SILENCE
from voxrig.core.phones import Phone

HAVE_DATA = (datasets.data_root() / "english").is_dir()
needs_data = pytest.mark.skipif(not HAVE_DATA, reason="shared data not present")
RATE = 16000


def _clip(name: str) -> dg.Speech:
    return dg.from_clip(next(c for c in datasets.english_phone_clips() if c.name == name))


def _synthetic(samples: np.ndarray, start: float, end: float, rate: int = RATE) -> dg.Speech:
    """Samples with a tier that says a vowel from `start` to `end` and silence around it."""
    duration = len(samples) / rate
    phones = [Phone(SILENCE, 0.0, start), Phone("AA", start, end), Phone(SILENCE, end, duration)]
    return dg.Speech("synthetic", samples.astype(np.float64), rate, phones, [], "a")


def _tone(f0: float, seconds: float, start: float, end: float, rate: int = RATE) -> np.ndarray:
    """A harmonic tone (5 partials) at f0 between `start` and `end`, silence elsewhere."""
    t = np.arange(int(seconds * rate)) / rate
    x = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6))
    return x * ((t >= start) & (t < end))


def _f0(x: np.ndarray, rate: int, lo: float = 60.0, hi: float = 500.0) -> float:
    """F0 by autocorrelation: the strongest lag in [1/hi, 1/lo], parabolically refined."""
    x = x - x.mean()
    ac = signal.correlate(x, x, mode="full", method="fft")[len(x) - 1 :]
    a, b = int(rate / hi), int(rate / lo)
    k = a + int(np.argmax(ac[a:b]))
    y0, y1, y2 = ac[k - 1], ac[k], ac[k + 1]
    return rate / (k + 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2))


def _band_power(x: np.ndarray, rate: int, lo: float, hi: float) -> float:
    freqs, power = signal.welch(x, rate, nperseg=2048)
    band = (freqs >= lo) & (freqs < hi)
    return float(np.trapezoid(power[band], freqs[band]))


def _loud_span(x: np.ndarray, rate: int) -> tuple[float, float]:
    env = np.convolve(np.abs(x), np.ones(160) / 160, mode="same")
    idx = np.flatnonzero(env > 0.25 * env.max())
    return idx[0] / rate, idx[-1] / rate


# ---------------------------------------------------------------------------------------------
# noise


@needs_data
@pytest.mark.parametrize("snr", [20.0, 10.0])
def test_noise_is_at_the_asked_snr_over_the_speech(snr):
    clean = _clip("arctic_a0009")
    noisy = dg.add_noise(clean, dg.generator("noise", clean.name), snr)
    measured = dg.snr_db(clean.samples, noisy.samples - clean.samples, dg.speech_mask(clean))
    assert abs(measured - snr) <= 0.5
    assert noisy.phones == clean.phones and noisy.rate == clean.rate


def test_pink_noise_has_equal_power_per_octave():
    noise = dg.pink_noise(RATE * 20, np.random.default_rng(0), RATE)
    low = _band_power(noise, RATE, 250, 500)
    high = _band_power(noise, RATE, 2000, 4000)
    assert abs(10 * np.log10(high / low)) <= 1.5  # white noise would give +9 dB


# ---------------------------------------------------------------------------------------------
# reverb


def test_room_impulse_has_the_asked_rt60_and_the_direct_path_first():
    h = dg.room_impulse(RATE, np.random.default_rng(1))
    assert int(np.argmax(np.abs(h))) == 0
    assert abs(dg.rt60_of(h, RATE) - dg.RT60) <= 0.05


def test_reverb_does_not_move_the_speech():
    t = np.arange(2 * RATE) / RATE
    x = np.random.default_rng(9).standard_normal(len(t)) * ((t >= 0.5) & (t < 1.5))
    wet = dg.add_reverb(_synthetic(x, 0.5, 1.5), np.random.default_rng(2)).samples
    lag = np.argmax(signal.correlate(wet, x, mode="full", method="fft")) - (len(x) - 1)
    assert lag == 0
    assert len(wet) == len(x)
    after = wet[int(1.6 * RATE) : int(1.7 * RATE)]  # the room still rings after the tone stops
    assert np.sqrt(np.mean(after**2)) > 0.01 * np.sqrt(np.mean(x[x != 0] ** 2))


# ---------------------------------------------------------------------------------------------
# telephone


def test_telephone_is_8khz_band_passed_and_keeps_nothing_above_4khz():
    rng = np.random.default_rng(3)
    noise = rng.standard_normal(RATE * 4)
    phone = dg.telephone(_synthetic(noise, 0.0, 4.0), rng)
    assert phone.rate == dg.TELEPHONE_RATE == 8000  # nothing above 4 kHz can exist
    x = phone.samples
    mid = _band_power(x, 8000, 800, 2500) / 1700
    assert 10 * np.log10(_band_power(x, 8000, 20, 150) / 130 / mid) <= -30
    assert 10 * np.log10(_band_power(x, 8000, 3800, 4000) / 200 / mid) <= -10
    for f, expected_db, tol in ((1000.0, 0.0, 1.0), (150.0, -40.0, None), (6000.0, -60.0, None)):
        t = np.arange(RATE * 2) / RATE
        tone = np.sin(2 * np.pi * f * t)
        out = dg.telephone(_synthetic(tone, 0.0, 2.0), rng).samples[4000:-4000]
        gain = 10 * np.log10(np.mean(out**2) / 0.5)
        if tol is None:  # below 300 Hz attenuated; a 6 kHz tone must not alias into the band
            assert gain <= expected_db, f
        else:
            assert abs(gain - expected_db) <= tol, f


@needs_data
def test_telephone_version_is_written_as_an_8khz_file(tmp_path):
    speech = dg.degrade(_clip("praatio_mary"), next(c for c in dg.CONDITIONS
                                                    if c.name == "phone 8 kHz"))
    path = dg.cached(speech, dg.CONDITIONS[0], tmp_path)
    info = sf.info(str(path))
    assert info.samplerate == 8000 and info.subtype == "PCM_16"
    assert abs(info.frames / 8000 - speech.phones[-1].end) < 1e-3


# ---------------------------------------------------------------------------------------------
# pitch and tempo


@pytest.mark.parametrize("semitones", [3.0, -3.0])
def test_pitch_shift_moves_f0_by_the_semitones_and_keeps_the_timing(semitones):
    x = _tone(140.0, 3.0, 0.4, 2.4)
    shifted = dg.shift_pitch(_synthetic(x, 0.4, 2.4), np.random.default_rng(4), semitones)
    y = shifted.samples
    middle = slice(int(1.0 * RATE), int(1.6 * RATE))
    moved = 12 * np.log2(_f0(y[middle], RATE) / _f0(x[middle], RATE))
    assert abs(moved - semitones) <= 0.3
    assert len(y) == len(x)
    (a0, b0), (a1, b1) = _loud_span(x, RATE), _loud_span(y, RATE)
    assert abs((b1 - a1) / (b0 - a0) - 1) <= 0.01
    assert abs(a1 - a0) <= 0.015


@needs_data
def test_pitch_shift_moves_a_real_voiced_vowel():
    clean = _clip("arctic_a0009")
    vowel = max((p for p in clean.phones if p.label in ("AA", "AE", "AH", "EH", "IY", "ER")),
                key=lambda p: p.duration)
    part = slice(int((vowel.start + 0.02) * clean.rate), int((vowel.end - 0.02) * clean.rate))
    before = _f0(clean.samples[part], clean.rate, 100, 400)
    for semitones in (3.0, -3.0):
        after = _f0(dg.shift_pitch(clean, dg.generator("p", "a"), semitones).samples[part],
                    clean.rate, 100 * 2 ** (semitones / 12), 400 * 2 ** (semitones / 12))
        assert abs(12 * np.log2(after / before) - semitones) <= 0.3


@pytest.mark.parametrize("tempo", [0.8, 1.25])
def test_tempo_scales_the_duration_and_the_tier_together(tempo):
    x = _tone(160.0, 2.0, 0.5, 1.5)
    fast = dg.change_tempo(_synthetic(x, 0.5, 1.5), np.random.default_rng(5), tempo)
    assert abs(fast.duration / 2.0 - 1 / tempo) <= 0.01
    vowel = fast.phones[1]
    assert vowel.start == pytest.approx(0.5 / tempo) and vowel.end == pytest.approx(1.5 / tempo)
    assert fast.phones[-1].end == pytest.approx(fast.duration)
    a, b = _loud_span(fast.samples, RATE)
    assert abs(a - vowel.start) <= 0.015 and abs(b - vowel.end) <= 0.015
    middle = slice(int((vowel.start + 0.2) * RATE), int((vowel.end - 0.2) * RATE))
    assert abs(12 * np.log2(_f0(fast.samples[middle], RATE) / 160.0)) <= 0.1  # pitch kept


# ---------------------------------------------------------------------------------------------
# pauses and fillers


def _silences(phones: list[Phone]) -> float:
    return sum(p.duration for p in phones if p.label == SILENCE)


@needs_data
@pytest.mark.parametrize("name", ["praatio_mary", "arctic_a0009", "mfa_acoustic_corpus"])
def test_pauses_shift_later_phones_by_their_length_and_are_silent(name):
    clean = _clip(name)
    paused = dg.insert_pauses(clean, dg.generator("pauses", name))
    added = paused.duration - clean.duration
    assert len(paused.samples) - len(clean.samples) == pytest.approx(added * clean.rate, abs=1)
    assert 2 * dg.PAUSE_SECONDS[0] - 0.01 <= added <= 3 * dg.PAUSE_SECONDS[1]
    assert _silences(paused.phones) - _silences(clean.phones) == pytest.approx(added, abs=1e-6)
    old = [p for p in clean.phones if p.label != SILENCE]
    new = [p for p in paused.phones if p.label != SILENCE]
    assert [p.label for p in new] == [p.label for p in old]
    long_new = [p for p in paused.phones if p.label == SILENCE and p.duration >= 2.0]
    long_old = [p for p in clean.phones if p.label == SILENCE and p.duration >= 2.0]
    assert len(long_new) - len(long_old) in (2, 3)
    level = np.sqrt(dg.speech_power(clean.samples, dg.speech_mask(clean)))
    for p, q in zip(old, new, strict=True):
        assert q.duration == pytest.approx(p.duration, abs=1e-9)
        shift = q.start - p.start  # = the pause time inserted before this phone
        assert shift == pytest.approx(_silences([s for s in paused.phones if s.end <= q.start])
                                      - _silences([s for s in clean.phones if s.end <= p.start]),
                                      abs=1e-6)
        # the audio moved with the tier (away from the 5 ms fades at the cuts)
        a, b = int((p.start + 0.01) * clean.rate), int((p.end - 0.01) * clean.rate)
        if b > a:
            k = int(round(shift * clean.rate))
            np.testing.assert_allclose(paused.samples[a + k : b + k], clean.samples[a:b])
    # each pause starts where the speech before it ended and holds low room tone only
    pauses = 0
    for k in range(len(old) - 1):
        (p0, q0), (p1, q1) = (old[k], new[k]), (old[k + 1], new[k + 1])
        grown = (q1.start - p1.start) - (q0.start - p0.start)
        if grown > 1e-6:
            pauses += 1
            assert dg.PAUSE_SECONDS[0] - 1e-6 <= grown <= dg.PAUSE_SECONDS[1] + 1e-6
            part = paused.samples[int((q0.end + 0.01) * clean.rate) :
                                  int((q0.end + grown - 0.01) * clean.rate)]
            assert 20 * np.log10(np.sqrt(np.mean(part**2)) / level) <= -40
    assert pauses in (2, 3)


@needs_data
def test_fillers_are_real_loud_spoken_noise_outside_the_transcript():
    clean = _clip("praatio_mary")
    filled = dg.insert_fillers(clean, dg.generator("fillers", clean.name))
    fillers = [p for p in filled.phones if p.label == dg.FILLER_LABEL]
    assert len(fillers) == dg.FILLER_COUNT
    assert filled.transcript == clean.transcript
    level = np.sqrt(dg.speech_power(clean.samples, dg.speech_mask(clean)))
    for p in fillers:
        assert 0.3 <= p.duration <= 2.0
        part = filled.samples[int(p.start * clean.rate) : int(p.end * clean.rate)]
        assert abs(20 * np.log10(np.sqrt(np.mean(part**2)) / level)) <= 1.0
    assert dg.FILLER_LABEL not in (metrics.OPEN_VOWELS | metrics.ROUNDED | metrics.SPREAD_VOWELS
                                   | metrics.LABIAL_NEGATIVES | {SILENCE})


def test_filler_cut_by_loudness_keeps_the_voice_and_drops_the_silence():
    rng = np.random.default_rng(6)
    quiet = 1e-4 * rng.standard_normal(RATE)
    voice = _tone(120.0, 0.5, 0.0, 0.5)
    cut = dg.cut_by_loudness(np.concatenate([quiet, voice, quiet]), RATE)
    assert abs(len(cut) / RATE - 0.5) <= 0.02


def test_written_filler_changes_the_transcript_only():
    speech = _synthetic(_tone(150, 1.0, 0.2, 0.8), 0.2, 0.8)
    speech = dg.Speech(speech.name, speech.samples, RATE, speech.phones, [],
                       "mary rolled the barrel")
    out = dg.write_filler(speech, np.random.default_rng(7))
    assert out.transcript == "mary rolled um the barrel"
    assert out.samples is speech.samples and out.phones == speech.phones


# ---------------------------------------------------------------------------------------------
# determinism and the bench's helpers


@needs_data
def test_every_condition_is_deterministic_with_its_seed():
    clean = _clip("praatio_bobby")
    for condition in dg.CONDITIONS:
        a, b = dg.degrade(clean, condition), dg.degrade(clean, condition)
        np.testing.assert_array_equal(a.samples, b.samples)
        assert a.phones == b.phones and a.transcript == b.transcript
    for name in ("noise 10 dB", "pauses", "reverb"):
        condition = next(c for c in dg.CONDITIONS if c.name == name)
        other = dg.degrade(clean, condition, seed=dg.SEED + 1)
        same = dg.degrade(clean, condition)
        assert len(other.samples) != len(same.samples) or \
            not np.array_equal(other.samples, same.samples)


def test_partly_wrong_replaces_half_the_words():
    own = "the quick brown fox jumps over the lazy dog"
    out = unseen.partly_wrong(own, "a completely different sentence here", np.random.default_rng(8))
    changed = sum(a != b for a, b in zip(own.split(), out.split(), strict=True))
    assert changed == (len(own.split()) + 1) // 2
    assert unseen.partly_wrong("six", "no", np.random.default_rng(0)) == "no"


@needs_data
def test_the_bench_reads_voxrigs_own_transcript_warnings():
    """A matching transcript is aligned and counted as no fall-back; another clip's is detected
    (the bench's warning fragments are the ones the aligner writes)."""
    clips = {c.name: c for c in datasets.english_phone_clips()}
    bobby, mary = clips["praatio_bobby"], clips["praatio_mary"]
    own = unseen.bake_clip(bobby.audio, bobby.transcript)
    assert not unseen.fell_back(own) and not unseen.partly_fell_back(own)
    assert not unseen.detected(own)
    wrong = unseen.bake_clip(bobby.audio, mary.transcript)
    assert unseen.detected(wrong) and unseen.flagged(wrong)
    assert unseen.fell_back(wrong) or unseen.partly_fell_back(wrong)
