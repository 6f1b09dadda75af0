"""Audio in: any file soundfile can decode (wav, flac, ogg/vorbis, opus, mp3, aiff, ...) at any
rate, channel count and bit depth becomes mono float32 at ``ANALYSIS_RATE`` (16 kHz).

Every problem with the input is an ``AudioError`` carrying one line that names the file; things
the user should know but that do not stop a bake are returned in ``Audio.warnings`` (this module
never prints). Files longer than ``AudioConfig.long_input_seconds`` are read block by block, so
memory stays bounded whatever the length; ``iter_chunks`` hands them out in pieces cut at pauses.

This module is the reading API and the whole / streamed / chunked flow. Opening files and their
errors are in core/audio_files.py, the checks and the mono mix in core/audio_checks.py, rate
conversion in core/audio_resample.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from .audio_checks import Mix, SampleStats, as_float32, columns
from .audio_files import check_length, checked_path, declared_frames, open_audio, read_blocks
from .audio_resample import Resampler, output_length
from .config import ANALYSIS_RATE, AudioConfig
from .errors import AudioError

PAUSE_FRAME_SECONDS = 0.01  # chunk cuts are placed in the quietest frame of this length
PAUSE_SEARCH_SECONDS = 10.0  # ... searched for within the last this-many seconds of a chunk
_BLOCK_FRAMES = 1 << 17  # frames read per block from long files (~3 s at 44.1 kHz)


@dataclass
class AudioInfo:
    """What a file's header says, found without decoding it."""

    path: str
    duration: float
    sample_rate: int
    channels: int
    format: str
    subtype: str


@dataclass
class Audio:
    """Mono float32 samples at ``sample_rate``; a whole input or one chunk of a long one."""

    samples: np.ndarray
    sample_rate: int
    source: str
    offset: float = 0.0
    warnings: list[str] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


# --------------------------------------------------------------------------- public functions


def probe(path: str | Path) -> AudioInfo:
    """Header facts (duration, rate, channels, format) for planning, e.g. whether to chunk."""
    name = checked_path(path)
    with open_audio(path, name) as f:
        return AudioInfo(
            path=str(path),
            duration=f.frames / f.samplerate,
            sample_rate=f.samplerate,
            channels=f.channels,
            format=f.format,
            subtype=f.subtype,
        )


def load_audio(path: str | Path, config: AudioConfig | None = None) -> Audio:
    """The whole file as one mono float32 ``Audio`` at ``ANALYSIS_RATE``."""
    config = config or AudioConfig()
    name = checked_path(path)
    with open_audio(path, name) as f:
        check_length(f, name)
        if f.frames / f.samplerate <= config.long_input_seconds:
            return _load_whole(f, path, name)
    return _load_streamed(path, name)


def audio_from_array(
    samples: np.ndarray,
    sample_rate: int,
    source: str = "<array>",
) -> Audio:
    """Audio already in memory (e.g. from a live stream or another library), checked and
    converted exactly like a file. ``samples`` is (frames,) or (frames, channels); integer
    arrays are scaled from their full range."""
    name = f"'{source}'"
    if not isinstance(sample_rate, (int, np.integer)) or sample_rate <= 0:
        raise AudioError(f"cannot use {name}: invalid sample rate {sample_rate!r}")
    x = np.asarray(samples)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] == 0 or (x.shape[1] > 16 and x.shape[0] <= 16):
        raise AudioError(
            f"cannot use {name}: samples have shape {x.shape}; "
            "expected (frames,) or (frames, channels)"
        )
    x = as_float32(x, name)
    cols = columns(x)
    stats = SampleStats(len(cols), int(sample_rate), name)
    stats.update(cols)
    mix = stats.finish(declared_frames=None)
    y = Resampler(int(sample_rate), ANALYSIS_RATE).run(mix.apply(cols))
    return Audio(y, ANALYSIS_RATE, source, 0.0, mix.warnings)


def iter_chunks(path: str | Path, config: AudioConfig | None = None) -> Iterator[Audio]:
    """The file as consecutive ``Audio`` chunks of about ``chunk_seconds``, cut at pauses.

    A file up to ``long_input_seconds`` comes as one chunk equal to ``load_audio``. A longer
    one is checked in a first pass (so errors come before any chunk) and then decoded,
    resampled and cut block by block: memory stays bounded by a few chunks. Concatenating the
    chunks gives exactly ``load_audio``'s samples; each chunk's ``offset`` is where it starts.
    File-wide warnings come with the first chunk only.
    """
    config = config or AudioConfig()
    name = checked_path(path)
    with open_audio(path, name) as f:
        check_length(f, name)
        short = f.frames / f.samplerate <= config.long_input_seconds
        if short:
            audio = _load_whole(f, path, name)
    if short:
        yield audio
        return
    yield from _chunks_streamed(path, name, config)


# --------------------------------------------------------------------------- whole and long files


def _load_whole(f: sf.SoundFile, path: str | Path, name: str) -> Audio:
    """A short file in one read: checked, mixed and resampled as one array."""
    blocks = list(read_blocks(f, name, max(f.frames, _BLOCK_FRAMES)))
    if len(blocks) == 1:
        x = blocks[0]
    elif blocks:
        x = np.concatenate(blocks)
    else:
        x = np.zeros((0, f.channels), dtype=np.float32)
    cols = columns(x)
    del x, blocks
    stats = SampleStats(f.channels, f.samplerate, name)
    stats.update(cols)
    mix = stats.finish(declared_frames=declared_frames(path, f))
    y = Resampler(f.samplerate, ANALYSIS_RATE).run(mix.apply(cols))
    return Audio(y, ANALYSIS_RATE, str(path), 0.0, mix.warnings)


def _scan(path: str | Path, name: str) -> tuple[Mix, int, int]:
    """First pass over a long file: checks and mix decision, nothing kept."""
    with open_audio(path, name) as f:
        stats = SampleStats(f.channels, f.samplerate, name)
        for block in read_blocks(f, name, _BLOCK_FRAMES):
            stats.update(columns(block))
        return stats.finish(declared_frames=declared_frames(path, f)), stats.frames, f.samplerate


def _resampled_blocks(path: str | Path, name: str, mix: Mix) -> Iterator[np.ndarray]:
    """Second pass over a long file: mono blocks at ``ANALYSIS_RATE``, mixed as decided."""
    with open_audio(path, name) as f:
        resampler = Resampler(f.samplerate, ANALYSIS_RATE)
        for block in read_blocks(f, name, _BLOCK_FRAMES):
            y = resampler.feed(mix.apply(columns(block)))
            if len(y):
                yield y
        y = resampler.flush()
        if len(y):
            yield y


def _load_streamed(path: str | Path, name: str) -> Audio:
    """A long file whole, decoded block by block into one preallocated output."""
    mix, frames, rate = _scan(path, name)
    out = np.empty(output_length(frames, rate, ANALYSIS_RATE), dtype=np.float32)
    n = 0
    for y in _resampled_blocks(path, name, mix):
        take = min(len(y), len(out) - n)  # guards against a file that changed between passes
        out[n : n + take] = y[:take]
        n += take
    return Audio(out[:n], ANALYSIS_RATE, str(path), 0.0, mix.warnings)


def _chunks_streamed(path: str | Path, name: str, config: AudioConfig) -> Iterator[Audio]:
    """A long file as chunks cut at pauses, holding only the samples not yet handed out."""
    mix, _, _ = _scan(path, name)
    sr = ANALYSIS_RATE
    target = max(1, round(config.chunk_seconds * sr))
    window = max(1, round(min(PAUSE_SEARCH_SECONDS, config.chunk_seconds / 6) * sr))
    frame = max(1, round(PAUSE_FRAME_SECONDS * sr))
    # One reused buffer holds the samples not yet handed out: at most a chunk plus its
    # search window plus one resampled block, whatever the file's length.
    pending = np.empty(target + window + _BLOCK_FRAMES, dtype=np.float32)
    filled = 0
    emitted = 0
    warnings = list(mix.warnings)

    def cut_chunks(final: bool) -> Iterator[Audio]:
        nonlocal filled, emitted, warnings
        while filled > target + window or (final and filled):
            if filled > target + window:
                cut = _pause_cut(pending[:filled], target, window, frame)
            else:
                cut = filled
            yield Audio(pending[:cut].copy(), sr, str(path), emitted / sr, warnings)
            warnings = []
            emitted += cut
            rest = pending[cut:filled].copy()
            pending[: len(rest)] = rest
            filled = len(rest)

    for y in _resampled_blocks(path, name, mix):
        while len(y):
            take = min(len(y), len(pending) - filled)
            pending[filled : filled + take] = y[:take]
            filled += take
            y = y[take:]
            yield from cut_chunks(final=False)
    yield from cut_chunks(final=True)


def _pause_cut(x: np.ndarray, target: int, window: int, frame: int) -> int:
    """Cut in the middle of the quietest ``frame`` within the last ``window`` samples before
    ``target``, so a chunk ends in a pause rather than inside a word."""
    lo = max(0, target - window)
    n = (target - lo) // frame
    if n < 1:
        return target
    seg = x[lo : lo + n * frame].astype(np.float64).reshape(n, frame)
    quietest = int(np.argmin(np.einsum("ij,ij->i", seg, seg)))
    return lo + quietest * frame + frame // 2
