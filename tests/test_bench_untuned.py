"""bench/untuned.py: each condition writes the file its name says, measured on what voxrig
reads back, and the same clip and condition always give the same file."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from scipy import signal

from bench import datasets
from bench import untuned as ut
from voxrig.core.audio import load_audio

HAVE_DATA = (datasets.data_root() / "english").is_dir()
needs_data = pytest.mark.skipif(not HAVE_DATA, reason="shared data not present")


@pytest.fixture(scope="module")
def bobby():  # noqa: ANN201 - the clip's audio path
    return next(c for c in datasets.english_phone_clips() if c.name == "praatio_bobby").audio


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(ut, "CACHE_DIR", tmp_path)


def _condition(name: str) -> ut.Untuned:
    return next(c for c in ut.CONDITIONS if c.name == name)


def _source(path) -> np.ndarray:  # noqa: ANN001
    samples, _ = sf.read(str(path), dtype="float64", always_2d=True)
    return samples.mean(axis=1)


@needs_data
def test_quiet_peaks_at_its_level_and_clipped_has_its_share_at_full_scale(bobby) -> None:
    quiet, _ = sf.read(str(ut.written(_condition("quiet"), "bobby", bobby)))
    assert 20 * np.log10(np.abs(quiet).max()) == pytest.approx(ut.QUIET_PEAK_DBFS, abs=0.1)
    clipped, _ = sf.read(str(ut.written(_condition("clipped"), "bobby", bobby)))
    assert np.mean(np.abs(clipped) >= 0.98) == pytest.approx(ut.CLIPPED_SHARE, abs=0.005)


@needs_data
@pytest.mark.parametrize("name", ["music", "hum", "second talker"])
def test_a_bed_lies_its_snr_under_the_speech(bobby, name: str) -> None:
    clean = _source(bobby)
    mixed = _source(ut.written(_condition(name), "bobby", bobby))[: len(clean)]
    peak = np.abs(mixed).max()
    scale = 0.99 / peak if peak > 0.99 else 1.0  # the writer scales down only what would clip
    bed = mixed - clean * scale
    snr = 10 * np.log10(ut.speech_power(clean * scale) / ut.speech_power(bed))
    assert snr == pytest.approx(ut.BED_SNR_DB, abs=0.3)


@needs_data
def test_the_stereo_file_is_48k_with_one_silent_side_and_reads_back_as_the_voice(bobby) -> None:
    path = ut.written(_condition("48 kHz stereo"), "bobby", bobby)
    info = sf.info(str(path))
    assert (info.samplerate, info.channels) == (ut.STEREO_RATE, 2)
    both, _ = sf.read(str(path))
    assert np.abs(both[:, 1]).max() == 0 and np.abs(both[:, 0]).max() > 0.1
    assert load_audio(path).duration == pytest.approx(load_audio(bobby).duration, abs=0.01)


@needs_data
def test_muffled_keeps_the_low_band_and_loses_the_high_one(bobby) -> None:
    clean = _source(bobby)
    muffled = _source(ut.written(_condition("muffled"), "bobby", bobby))
    f, p_clean = signal.welch(clean, 16000, nperseg=1024)
    _, p_muffled = signal.welch(muffled, 16000, nperseg=1024)
    low, high = f < 1500, f > 4000
    assert p_muffled[low].sum() / p_clean[low].sum() > 0.8
    assert p_muffled[high].sum() / p_clean[high].sum() < 1e-3


@needs_data
def test_mp3_is_an_mp3_voxrig_reads_and_the_conditions_are_repeatable(bobby, tmp_path) -> None:
    pytest.importorskip("imageio_ffmpeg", reason="mp3 is written by the dev extra's ffmpeg")
    path = ut.written(_condition("mp3"), "bobby", bobby)
    assert path.suffix == ".mp3" and load_audio(path).duration > 1.0
    first = _source(ut.written(_condition("music"), "bobby", bobby))
    again = _source(ut.written(_condition("music"), "bobby", bobby))
    other = _source(ut.written(_condition("music"), "mary", bobby))
    assert np.array_equal(first, again) and not np.array_equal(first, other)
