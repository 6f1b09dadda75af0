"""Audio in: what the rest of voxrig may rely on about decoded input, and every message a user
can get about a bad file."""

from __future__ import annotations

import math
import os
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import resample_poly

from voxrig.core.audio import (
    Audio,
    AudioInfo,
    audio_from_array,
    iter_chunks,
    load_audio,
    probe,
)
from voxrig.core.audio_resample import resample
from voxrig.core.config import AudioConfig
from voxrig.core.errors import AudioError

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
MULTI = DATA / "multilingual" / "mfa"
SPEECH = DATA / "english" / "ljspeech" / "LJ001-0001.flac"  # 9.7 s, 22.05 kHz, real speech


@pytest.fixture(scope="module")
def speech() -> tuple[np.ndarray, int]:
    x, sr = sf.read(SPEECH, dtype="float64")
    return x, sr


def tones(t: np.ndarray) -> np.ndarray:
    """A band-limited test signal below 4 kHz, so every rate from 8 kHz up can carry it."""
    return (
        0.3 * np.sin(2 * np.pi * 200 * t)
        + 0.2 * np.sin(2 * np.pi * 700 * t + 1)
        + 0.1 * np.sin(2 * np.pi * 2500 * t + 2)
    )


# --------------------------------------------------------------------------- formats


REAL_FILES = [
    DATA / "english" / "mfa" / "acoustic_corpus.wav",
    DATA / "english" / "arctic" / "arctic_a0009.wav",
    SPEECH,
    MULTI / "61-70968-0000.flac",
    MULTI / "13697_11991_000000.opus",
    MULTI / "common_voice_en_22058264.mp3",
    MULTI / "common_voice_ja_24511055.mp3",
    MULTI / "se10x016-08071999-1334_u0016001.wav",
]


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name)
def test_real_wav_flac_opus_and_mp3_files_load_as_mono_float32_at_16k(path: Path) -> None:
    info = probe(path)
    audio = load_audio(path)
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert audio.sample_rate == 16000
    assert audio.source == str(path)
    assert audio.offset == 0.0
    assert audio.duration == pytest.approx(info.duration, abs=0.02)
    assert 0.01 < np.abs(audio.samples).max() <= 1.0
    assert audio.warnings == []


def test_probe_reads_the_header_without_decoding() -> None:
    info = probe(MULTI / "common_voice_en_22058264.mp3")
    assert info == AudioInfo(
        path=str(MULTI / "common_voice_en_22058264.mp3"),
        duration=197262 / 48000,
        sample_rate=48000,
        channels=1,
        format="MP3",
        subtype="MPEG_LAYER_III",
    )
    assert probe(MULTI / "13697_11991_000000.opus").subtype == "OPUS"


@pytest.mark.parametrize(
    ("suffix", "fmt", "subtype"),
    [(".ogg", "OGG", "VORBIS"), (".opus", "OGG", "OPUS"), (".mp3", "MP3", "MPEG_LAYER_III")],
)
def test_lossy_encodings_of_speech_decode_to_the_same_speech(
    tmp_path: Path, speech: tuple[np.ndarray, int], suffix: str, fmt: str, subtype: str
) -> None:
    x, sr = speech
    x16 = resample_poly(x, 320, 441)
    path = tmp_path / f"speech{suffix}"
    # Opus only takes 8/12/16/24/48 kHz; the others get the original 22.05 kHz.
    if subtype == "OPUS":
        sf.write(path, x16, 16000, format=fmt, subtype=subtype)
    else:
        sf.write(path, x, sr, format=fmt, subtype=subtype)
    audio = load_audio(path)
    assert audio.duration == pytest.approx(len(x) / sr, abs=0.01)
    # Lossy codecs delay and colour the signal a little: compare 10 ms energy envelopes.
    n = min(len(x16), len(audio.samples)) // 160 * 160
    env_ref = np.sqrt((x16[:n].reshape(-1, 160) ** 2).mean(axis=1))
    env_got = np.sqrt((audio.samples[:n].reshape(-1, 160).astype(float) ** 2).mean(axis=1))
    assert np.corrcoef(env_ref, env_got)[0, 1] > 0.95


@pytest.mark.parametrize("rate", [8000, 11025, 16000, 22050, 44100, 48000, 96000])
@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"])
def test_every_rate_and_bit_depth_gives_the_same_signal_at_16k_without_shift(
    tmp_path: Path, rate: int, subtype: str
) -> None:
    t = np.arange(rate) / rate
    path = tmp_path / "tones.wav"
    sf.write(path, tones(t), rate, subtype=subtype)
    audio = load_audio(path)
    assert len(audio.samples) == 16000
    expected = tones(np.arange(16000) / 16000)
    inner = slice(800, -800)  # the filter's edge effects at both ends are not the point here
    tolerance = 0.015 if subtype == "PCM_U8" else 1e-3
    assert np.abs(audio.samples[inner] - expected[inner]).max() < tolerance


def test_channels_are_averaged_to_mono(tmp_path: Path, speech: tuple[np.ndarray, int]) -> None:
    x, sr = speech
    path = tmp_path / "stereo.wav"
    sf.write(path, np.c_[x, 0.5 * x, np.zeros_like(x)], sr, subtype="FLOAT")
    audio = load_audio(path)
    expected = resample_poly(x * 0.5, 320, 441)
    assert np.abs(audio.samples - expected).max() < 1e-5
    assert audio.warnings == []


def test_out_of_phase_channels_use_the_loudest_channel_instead_of_cancelling(
    tmp_path: Path, speech: tuple[np.ndarray, int]
) -> None:
    x, sr = speech
    path = tmp_path / "phase.wav"
    sf.write(path, np.c_[0.9 * x, -x], sr, subtype="FLOAT")
    audio = load_audio(path)
    assert np.abs(audio.samples + resample_poly(x, 320, 441)).max() < 1e-5
    assert audio.warnings == [
        f"the 2 channels of '{path}' cancel out when mixed (out of phase); using channel 2 only"
    ]


def test_array_input_is_checked_and_converted_like_a_file(
    speech: tuple[np.ndarray, int],
) -> None:
    x, sr = speech
    as_int16 = np.round(x * 32767).astype(np.int16)
    audio = audio_from_array(np.c_[as_int16, as_int16], sr, source="mic")
    assert audio.source == "mic" and audio.sample_rate == 16000
    assert np.abs(audio.samples - resample_poly(x, 320, 441)).max() < 1e-3
    with pytest.raises(AudioError) as e:
        audio_from_array(np.zeros(16000), 16000)
    assert str(e.value) == "cannot use '<array>': it is silent (peak level -inf dBFS)"
    with pytest.raises(AudioError) as e:
        audio_from_array(np.zeros((2, 16000)), 16000)
    assert str(e.value) == (
        "cannot use '<array>': samples have shape (2, 16000); "
        "expected (frames,) or (frames, channels)"
    )
    with pytest.raises(AudioError) as e:
        audio_from_array(np.zeros((16000, 0)), 16000)
    assert str(e.value) == (
        "cannot use '<array>': samples have shape (16000, 0); "
        "expected (frames,) or (frames, channels)"
    )
    with pytest.raises(AudioError) as e:
        audio_from_array(x, 0)
    assert str(e.value) == "cannot use '<array>': invalid sample rate 0"


def test_loading_a_minute_of_22k_speech_is_fast(
    tmp_path: Path, speech: tuple[np.ndarray, int]
) -> None:
    x, sr = speech
    path = tmp_path / "minute.flac"
    sf.write(path, np.tile(x, 7)[: 60 * sr], sr)
    load_audio(path)
    best = min(_timed(load_audio, path) for _ in range(3))
    assert best < 0.3  # measured ~0.05 s on an idle 2-core machine; leaves room for a busy CI


def _timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


# --------------------------------------------------------------------------- errors


def _message(fn, path) -> str:
    with pytest.raises(AudioError) as e:
        fn(path)
    return str(e.value)


@pytest.mark.parametrize("fn", [load_audio, probe, lambda p: next(iter_chunks(p))])
def test_a_missing_file_is_reported_as_not_found(tmp_path: Path, fn) -> None:
    path = tmp_path / "nope.wav"
    assert _message(fn, path) == f"cannot read '{path}': file not found"


def test_a_directory_is_reported_as_a_directory(tmp_path: Path) -> None:
    path = tmp_path / "take1.wav"
    path.mkdir()
    assert _message(load_audio, path) == (
        f"cannot read '{path}': it is a directory, not an audio file"
    )


def test_a_zero_byte_file_is_reported_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    assert _message(load_audio, path) == f"cannot read '{path}': the file is empty (0 bytes)"


def test_garbage_with_an_audio_extension_is_reported_as_corrupt(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    wav, mp3 = tmp_path / "noise.wav", tmp_path / "noise.mp3"
    wav.write_bytes(rng.integers(1, 256, 4000, dtype=np.uint8).tobytes())
    mp3.write_bytes(rng.integers(1, 256, 4000, dtype=np.uint8).tobytes())
    assert _message(load_audio, wav) == f"cannot read '{wav}': corrupt or truncated WAV file"
    assert _message(load_audio, mp3) == f"cannot read '{mp3}': corrupt or truncated MP3 file"


def test_a_wav_cut_inside_its_header_is_reported_as_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "cut.wav"
    sf.write(path, np.full(1600, 0.1), 16000)
    path.write_bytes(path.read_bytes()[:30])
    assert _message(load_audio, path) == (
        f"cannot read '{path}': corrupt or truncated WAV file "
        "(error in WAV file. No 'data' chunk marker)"
    )


def test_a_flac_cut_in_the_middle_fails_with_the_position(tmp_path: Path) -> None:
    path = tmp_path / "half.flac"
    path.write_bytes(SPEECH.read_bytes()[: SPEECH.stat().st_size // 2])
    message = _message(load_audio, path)
    assert message.startswith(f"cannot read '{path}': decoding failed near ")
    assert message.endswith(" s (corrupt data: flac decoder lost sync)")


def test_an_mp3_cut_in_the_middle_loads_what_is_there_with_a_warning(
    tmp_path: Path, speech: tuple[np.ndarray, int]
) -> None:
    x, sr = speech
    whole, path = tmp_path / "whole.mp3", tmp_path / "half.mp3"
    sf.write(whole, x, sr, format="MP3")  # has a Xing header that states the length
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    audio = load_audio(path)
    assert 4.0 < audio.duration < 5.5
    assert audio.warnings == [
        f"'{path}' seems truncated or damaged: its header promises 9.66 s but only "
        f"{audio.duration:.2f} s could be decoded"
    ]


def test_a_text_file_is_named_as_text(tmp_path: Path) -> None:
    flac, xyz = tmp_path / "notes.flac", tmp_path / "notes.xyz"
    flac.write_text("take 3: say the line slower\n")
    xyz.write_text("hello\n")
    assert _message(load_audio, flac) == f"cannot read '{flac}': it is a text file, not FLAC audio"
    assert _message(load_audio, xyz) == f"cannot read '{xyz}': it is a text file, not audio"


def test_an_unknown_format_lists_the_supported_ones(tmp_path: Path) -> None:
    path = tmp_path / "voice.xyz"
    path.write_bytes(bytes(range(256)) * 8)
    assert _message(load_audio, path) == (
        f"cannot read '{path}': unsupported audio format '.xyz' "
        "(supported: wav, flac, ogg, opus, mp3)"
    )


def test_a_known_format_under_an_unknown_name_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "voice.xyz"
    path.write_bytes(SPEECH.read_bytes())
    assert load_audio(path).duration == pytest.approx(probe(SPEECH).duration, abs=1e-4)


def test_a_file_with_a_header_but_no_samples_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "header_only.wav"
    sf.write(path, np.zeros(0), 16000)
    assert _message(load_audio, path) == f"cannot use '{path}': it has no audio (0 samples)"


def test_a_file_shorter_than_one_frame_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "blip.wav"
    sf.write(path, np.full(160, 0.3), 16000)  # 10 ms
    assert _message(load_audio, path) == (
        f"cannot use '{path}': it is too short (0.010 s; "
        "at least 0.05 s is needed, one animation frame)"
    )
    sf.write(path, np.full(800, 0.3), 16000)  # exactly 0.05 s is enough
    assert load_audio(path).duration == pytest.approx(0.05)


def test_an_all_zero_file_is_silent(tmp_path: Path) -> None:
    path = tmp_path / "zeros.flac"
    sf.write(path, np.zeros(32000), 16000)
    assert _message(load_audio, path) == (
        f"cannot use '{path}': it is silent (peak level -inf dBFS)"
    )


def test_one_bit_of_noise_is_still_silent(tmp_path: Path) -> None:
    path = tmp_path / "hiss.wav"
    sf.write(path, np.tile([1, -1, 0, 0], 8000).astype(np.int16), 16000)
    assert _message(load_audio, path) == (
        f"cannot use '{path}': it is silent (peak level -90.3 dBFS)"
    )


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_infinite_samples_are_refused_with_their_position(
    tmp_path: Path, bad: float
) -> None:
    path = tmp_path / "broken.wav"
    x = np.full(16000, 0.1, dtype=np.float32)
    x[12000] = bad
    sf.write(path, x, 16000, subtype="FLOAT")
    assert _message(load_audio, path) == (
        f"cannot use '{path}': it contains NaN or infinite samples (first at 0.750 s)"
    )


def test_a_file_longer_than_four_hours_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "marathon.wav"
    # At 2 samples per second a small file is 4 h 10 min long.
    sf.write(path, np.tile([0.5, -0.5], 15000), 2, subtype="PCM_16")
    for fn in (load_audio, lambda p: next(iter_chunks(p))):
        assert _message(fn, path) == (
            f"cannot use '{path}': it is too long (4.2 hours; the limit is 4 hours) "
            "- split it into shorter files"
        )


# --------------------------------------------------------------------------- warnings


def test_clipped_audio_loads_with_a_clipping_warning(
    tmp_path: Path, speech: tuple[np.ndarray, int]
) -> None:
    x, sr = speech
    loud = np.clip(x * 6, -1, 1)
    path = tmp_path / "loud.wav"
    sf.write(path, loud, sr, subtype="FLOAT")
    share = np.mean(np.abs(loud) >= 0.999)
    assert share > 0.001
    audio = load_audio(path)
    assert audio.warnings == [
        f"'{path}' is clipped: {100 * share:.1f}% of samples are at full scale; "
        "the result may be less accurate (record at a lower input level)"
    ]


def test_very_quiet_audio_is_boosted_to_a_normal_level_with_a_warning(
    tmp_path: Path, speech: tuple[np.ndarray, int]
) -> None:
    x, sr = speech
    quiet = x / np.abs(x).max() * 10 ** (-50 / 20)
    path = tmp_path / "quiet.wav"
    sf.write(path, quiet, sr, subtype="FLOAT")
    audio = load_audio(path)
    assert audio.warnings == [
        f"'{path}' is very quiet (peak level -50.0 dBFS); boosted by 44.0 dB "
        "- check that this is the intended recording"
    ]
    normal = load_audio(SPEECH).samples
    expected = normal / np.abs(x).max() * 10 ** (-6 / 20)
    assert np.abs(audio.samples - expected).max() < 1e-4


def test_audio_below_the_neural_models_training_levels_is_boosted_and_above_is_left(
    tmp_path: Path, speech: tuple[np.ndarray, int]
) -> None:
    """The model learnt peaks of -35 to -1 dBFS; at -37 its lips had faded (event 0.89 vs 0.97).
    Only a file quieter than -40 dBFS is worth a warning."""
    x, sr = speech
    normal = load_audio(SPEECH).samples
    for peak_db, gain_db in ((-37.0, 31.0), (-25.0, 0.0)):
        path = tmp_path / f"peak{peak_db}.wav"
        sf.write(path, x * 10 ** (peak_db / 20) / np.abs(x).max(), sr, subtype="FLOAT")
        audio = load_audio(path)
        assert audio.warnings == []
        expected = normal * 10 ** ((peak_db + gain_db) / 20) / np.abs(x).max()
        assert np.abs(audio.samples - expected).max() < 1e-4


def test_a_low_sample_rate_is_reported(tmp_path: Path, speech: tuple[np.ndarray, int]) -> None:
    x, sr = speech
    path = tmp_path / "phone.wav"
    sf.write(path, resample_poly(x, 320, 882), 8000)
    assert load_audio(path).warnings == [
        f"'{path}' has a low sample rate (8000 Hz): sounds above 4000 Hz are missing, "
        "so lip sync may be less accurate"
    ]


def test_decoder_chatter_never_reaches_the_terminal(capfd: pytest.CaptureFixture) -> None:
    # libmpg123 prints a note about a damaged frame of this real Common Voice file.
    load_audio(MULTI / "common_voice_en_22058264.mp3")
    with pytest.raises(AudioError):
        load_audio(MULTI / "LICENSE")
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_the_callers_own_stderr_output_between_mp3_chunks_is_not_hidden(
    tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    path = tmp_path / "long.mp3"
    sf.write(path, tones(np.arange(30 * 16000) / 16000), 16000, format="MP3")
    config = AudioConfig(long_input_seconds=10.0, chunk_seconds=12.0)
    count = 0
    for _ in iter_chunks(path, config):
        count += 1
        os.write(2, b"progress\n")  # what a CLI progress bar does between chunks
    assert count >= 2
    assert capfd.readouterr().err == "progress\n" * count


# --------------------------------------------------------------------------- long inputs


def test_a_short_file_comes_as_one_chunk_equal_to_load_audio() -> None:
    chunks = list(iter_chunks(SPEECH))
    whole = load_audio(SPEECH)
    assert len(chunks) == 1
    assert chunks[0].offset == 0.0 and chunks[0].warnings == whole.warnings
    np.testing.assert_array_equal(chunks[0].samples, whole.samples)


def test_block_wise_resampling_has_no_seams(tmp_path: Path, speech: tuple[np.ndarray, int]) -> None:
    x, sr = speech
    long = np.tile(x, 5)  # 48 s at 22.05 kHz: many read blocks, several chunks
    path = tmp_path / "long.wav"
    sf.write(path, np.c_[long, long], sr, subtype="FLOAT")
    config = AudioConfig(long_input_seconds=10.0, chunk_seconds=12.0)
    chunks = list(iter_chunks(path, config))
    assert len(chunks) >= 3
    joined = np.concatenate([c.samples for c in chunks])
    expected = resample_poly(long, 320, 441)
    assert len(joined) == len(expected)
    assert np.abs(joined - expected).max() < 1e-5
    np.testing.assert_array_equal(load_audio(path, config).samples, joined)


def _speech_with_pauses(path: Path, x: np.ndarray, sr: int, minutes: float) -> list[tuple]:
    """Write real speech (at 16 kHz) separated by pauses of quiet noise, block by block;
    return the pauses as (start, end) in samples."""
    rng = np.random.default_rng(7)
    x16 = resample_poly(x, 320, 441)
    sentences = [s for s in np.split(x16, [40000, 80000, 120000]) if len(s)]
    total = int(minutes * 60 * 16000)
    pauses, n = [], 0
    with sf.SoundFile(path, "w", 16000, 1, subtype="PCM_16") as f:
        while n < total:
            s = sentences[int(rng.integers(len(sentences)))]
            f.write(s)
            n += len(s)
            gap = int(rng.integers(3200, 12800))
            f.write(rng.normal(0, 1e-4, gap))  # quieter than pauses inside the speech
            pauses.append((n, n + gap))
            n += gap
    return pauses


def test_a_twelve_minute_file_is_chunked_at_pauses_with_bounded_memory(
    tmp_path: Path, speech: tuple[np.ndarray, int]
) -> None:
    x, sr = speech
    path = tmp_path / "twelve_minutes.wav"
    pauses = _speech_with_pauses(path, x, sr, 12)
    frames = sf.info(path).frames
    full_size = frames * 4  # bytes the whole file would take as float32 at 16 kHz

    tracemalloc.start()
    lengths, offsets = [], []
    try:
        for chunk in iter_chunks(path):
            assert isinstance(chunk, Audio) and chunk.sample_rate == 16000
            lengths.append(len(chunk.samples))
            offsets.append(chunk.offset)
            del chunk
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    chunk_size = 70 * 16000 * 4  # the largest chunk, in bytes
    assert peak < 3 * chunk_size < full_size / 3, (peak, full_size)
    assert sum(lengths) == frames
    starts = np.cumsum([0, *lengths[:-1]])
    assert offsets == [s / 16000 for s in starts]
    # Chunks end in the last 10 s before the 60 s target; the rest of the file (at most
    # 70 s) comes as the last chunk.
    assert all(50 * 16000 <= n <= 60 * 16000 for n in lengths[:-1]), lengths
    assert 10 * 16000 < lengths[-1] <= 70 * 16000
    # Every cut lies inside one of the pauses between sentences, never inside speech.
    for cut in starts[1:]:
        assert any(a <= cut < b for a, b in pauses), cut


def test_long_file_errors_come_before_any_chunk(tmp_path: Path) -> None:
    path = tmp_path / "late_nan.wav"
    x = tones(np.arange(30 * 16000) / 16000).astype(np.float32)
    x[-100] = np.nan
    sf.write(path, x, 16000, subtype="FLOAT")
    config = AudioConfig(long_input_seconds=10.0, chunk_seconds=12.0)
    chunks = iter_chunks(path, config)
    with pytest.raises(AudioError) as e:
        next(chunks)
    at = (len(x) - 100) / 16000
    assert str(e.value) == (
        f"cannot use '{path}': it contains NaN or infinite samples (first at {at:.3f} s)"
    )


def test_long_file_warnings_come_once_with_the_first_chunk(tmp_path: Path) -> None:
    path = tmp_path / "quiet_long.wav"
    x = tones(np.arange(30 * 16000) / 16000) * 10 ** (-50 / 20) / 0.6
    sf.write(path, x, 16000, subtype="FLOAT")
    config = AudioConfig(long_input_seconds=10.0, chunk_seconds=12.0)
    chunks = list(iter_chunks(path, config))
    assert len(chunks) >= 2
    assert len(chunks[0].warnings) == 1 and "is very quiet" in chunks[0].warnings[0]
    assert all(c.warnings == [] for c in chunks[1:])
    peak = max(float(np.abs(c.samples).max()) for c in chunks)
    assert 20 * math.log10(peak) == pytest.approx(-6.0, abs=0.1)


@pytest.mark.parametrize("rate", [8000, 11025, 22050, 44100, 48000, 96000])
def test_resampling_matches_scipy_resample_poly(rate):
    """voxrig resamples with numpy alone (fast start-up); scipy is the independent reference."""
    x = np.random.default_rng(rate).normal(size=rate * 2 + 7).astype(np.float32)
    g = math.gcd(rate, 16000)
    expected = resample_poly(x.astype(np.float64), 16000 // g, rate // g)
    got = resample(x, rate, 16000)
    assert got.shape == expected.shape and got.dtype == np.float32
    assert np.abs(got - expected).max() < 1e-5
