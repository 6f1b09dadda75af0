"""A PCM file cut short (an interrupted download or copy) is used as far as it goes, with the
documented warning: libsndfile alone would shorten the data chunk silently, so the length the
header promises is read from the header. Every file here is written by soundfile, then cut."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from voxrig.bridge.cli import main
from voxrig.core.audio import iter_chunks, load_audio
from voxrig.core.config import AudioConfig
from voxrig.core.headers import promised_frames

RATE = 22050
SECONDS = 4.0
CONTAINERS = [  # (soundfile format, subtype, extension)
    ("WAV", "PCM_16", "wav"), ("WAV", "PCM_24", "wav"), ("WAV", "FLOAT", "wav"),
    ("WAVEX", "PCM_16", "wav"), ("WAV", "ULAW", "wav"), ("RF64", "PCM_16", "rf64"),
    ("W64", "PCM_16", "w64"), ("AIFF", "PCM_16", "aiff"), ("AIFF", "PCM_32", "aif"),
    ("AU", "PCM_16", "au"), ("AU", "ULAW", "au"),
]  # fmt: skip


def tone(seconds: float = SECONDS, channels: int = 2) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    x = 0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
    return np.repeat(x[:, None], channels, axis=1).astype(np.float32)


def write(path: Path, fmt: str, subtype: str, seconds: float = SECONDS) -> Path:
    sf.write(path, tone(seconds), RATE, format=fmt, subtype=subtype)
    return path


def cut(path: Path, keep: float) -> Path:
    """Keep the first `keep` share of the file's bytes, as an interrupted copy would."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def truncation_warning(path: Path, promised: float, decoded: float) -> str:
    return (f"'{path}' seems truncated or damaged: its header promises {promised:.2f} s but "
            f"only {decoded:.2f} s could be decoded")


@pytest.mark.parametrize(("fmt", "subtype", "ext"), CONTAINERS)
def test_a_file_cut_in_half_is_used_with_the_truncation_warning(tmp_path, fmt, subtype, ext):
    path = cut(write(tmp_path / f"half.{ext}", fmt, subtype), 0.5)
    audio = load_audio(path)
    assert 1.7 < audio.duration < 2.1  # what is there is used
    assert audio.warnings == [truncation_warning(path, SECONDS, audio.duration)]


@pytest.mark.parametrize(("fmt", "subtype", "ext"), CONTAINERS)
def test_a_whole_file_has_no_warning_and_its_header_promises_what_it_holds(
        tmp_path, fmt, subtype, ext):
    path = write(tmp_path / f"whole.{ext}", fmt, subtype)
    assert promised_frames(path) == int(SECONDS * RATE)
    assert load_audio(path).warnings == []


def test_a_few_bytes_missing_at_the_end_are_within_the_tolerance(tmp_path):
    """Under 1% short (e.g. a writer's last partial block) is not worth a warning."""
    path = cut(write(tmp_path / "nearly.wav", "WAV", "PCM_16"), 0.995)
    assert load_audio(path).warnings == []


def test_a_header_whose_size_was_never_filled_in_promises_nothing(tmp_path):
    """A streaming writer that cannot seek back leaves 0xFFFFFFFF there: the data is all
    there is."""
    path = write(tmp_path / "open.wav", "WAV", "PCM_16")
    data = bytearray(path.read_bytes())
    at = data.index(b"data") + 4
    data[at:at + 4] = b"\xff\xff\xff\xff"
    path.write_bytes(bytes(data))
    assert promised_frames(path) is None
    assert load_audio(path).warnings == []


def test_compressed_and_non_pcm_files_are_left_to_the_decoder(tmp_path):
    adpcm = write(tmp_path / "adpcm.wav", "WAV", "IMA_ADPCM")
    flac = write(tmp_path / "tone.flac", "FLAC", "PCM_16")
    text = tmp_path / "notes.wav"
    text.write_text("RIFF but not really")
    assert promised_frames(adpcm) is None and promised_frames(flac) is None
    assert promised_frames(text) is None


def test_a_long_file_cut_short_warns_once_with_its_first_chunk(tmp_path):
    path = cut(write(tmp_path / "long.wav", "WAV", "PCM_16", seconds=12.0), 0.5)
    config = AudioConfig(long_input_seconds=2.0, chunk_seconds=1.0)
    chunks = list(iter_chunks(path, config))
    decoded = sum(c.duration for c in chunks)
    assert chunks[0].warnings == [truncation_warning(path, 12.0, decoded)]
    assert all(c.warnings == [] for c in chunks[1:])
    assert load_audio(path, config).warnings == [truncation_warning(path, 12.0, decoded)]


def test_bake_prints_the_warning_and_writes_the_clip(tmp_path, capsys):
    path = cut(write(tmp_path / "line.wav", "WAV", "PCM_16"), 0.5)
    out = tmp_path / "line.json"
    assert main(["bake", str(path), "-o", str(out), "--engine", "phonetic", "--idle", "off",
                 "--emotion", "none"]) == 0
    lines = capsys.readouterr().err.splitlines()
    decoded = load_audio(path).duration
    assert f"voxrig: warning: {truncation_warning(path, SECONDS, decoded)}" in lines
    assert out.is_file()
