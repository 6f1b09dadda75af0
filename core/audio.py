"""Audio in: any file soundfile can decode (wav, flac, ogg/vorbis, opus, mp3, aiff, ...) at any
rate, channel count and bit depth becomes mono float32 at ``ANALYSIS_RATE`` (16 kHz).

Every problem with the input is an ``AudioError`` carrying one line that names the file; things
the user should know but that do not stop a bake are returned in ``Audio.warnings`` (this module
never prints). Files longer than ``AudioConfig.long_input_seconds`` are read block by block, so
memory stays bounded whatever the length; ``iter_chunks`` hands them out in pieces cut at pauses.

Choices (see docs/errors.md for every message):
- Channels are averaged; if averaging cancels the signal (channels out of phase), the loudest
  channel is used instead and a warning says so.
- Very quiet input (peak below -40 dBFS) is boosted with one file-wide gain to a -6 dBFS peak,
  with a warning, so later stages see speech at a normal level.
- Input shorter than 0.05 s (less than one animation frame at 20 fps), silent input (peak below
  -80 dBFS) and input longer than 4 hours are refused.
"""

from __future__ import annotations

import math
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from voxrig.core.audio_resample import Resampler, output_length
from voxrig.core.config import ANALYSIS_RATE, AudioConfig
from voxrig.core.errors import AudioError
from voxrig.core.headers import promised_frames

MIN_SECONDS = 0.05  # shortest usable input: one frame at 20 fps
MAX_SECONDS = 4 * 3600.0  # longest accepted input; longer files should be split
SILENT_DBFS = -80.0  # a peak below this is silence (a few LSB of 16-bit noise)
QUIET_DBFS = -40.0  # a peak below this is boosted ...
QUIET_TARGET_DBFS = -6.0  # ... to this peak level
CLIP_LEVEL = 0.999  # |sample| at or above this counts as full scale
CLIP_FRACTION = 0.001  # more than this share of samples at full scale is reported as clipping
CANCEL_RATIO = 0.25  # mixed RMS below this share of the channels' RMS: channels cancel
PAUSE_FRAME_SECONDS = 0.01  # chunk cuts are placed in the quietest frame of this length
PAUSE_SEARCH_SECONDS = 10.0  # ... searched for within the last this-many seconds of a chunk
TRUNCATION_TOLERANCE = 0.01  # decoded length may fall short of the header by this share

SUPPORTED = ("wav", "flac", "ogg", "opus", "mp3")
_KNOWN_EXTENSIONS = {
    ".wav": "WAV", ".wave": "WAV", ".flac": "FLAC", ".ogg": "Ogg", ".oga": "Ogg",
    ".opus": "Opus", ".mp3": "MP3", ".aif": "AIFF", ".aiff": "AIFF", ".aifc": "AIFF",
    ".au": "AU", ".snd": "AU", ".caf": "CAF", ".w64": "W64", ".rf64": "RF64",
}  # fmt: skip
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
    name = _checked_path(path)
    with _open(path, name) as f:
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
    name = _checked_path(path)
    with _open(path, name) as f:
        _check_header_length(f, name)
        if f.frames / f.samplerate <= config.long_input_seconds:
            return _load_whole(f, path, name, config)
    return _load_streamed(path, name, config)


def audio_from_array(
    samples: np.ndarray,
    sample_rate: int,
    config: AudioConfig | None = None,
    source: str = "<array>",
) -> Audio:
    """Audio already in memory (e.g. from a live stream or another library), checked and
    converted exactly like a file. ``samples`` is (frames,) or (frames, channels); integer
    arrays are scaled from their full range."""
    config = config or AudioConfig()
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
    x = _as_float32(x, name)
    cols = _columns(x)
    stats = _Stats(len(cols), int(sample_rate), name)
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
    name = _checked_path(path)
    with _open(path, name) as f:
        _check_header_length(f, name)
        short = f.frames / f.samplerate <= config.long_input_seconds
        if short:
            audio = _load_whole(f, path, name, config)
    if short:
        yield audio
        return
    yield from _chunks_streamed(path, name, config)


# --------------------------------------------------------------------------- opening files


def _checked_path(path: str | Path) -> str:
    """The quoted name used in messages, after the checks that need no decoder."""
    name = f"'{path}'"
    p = Path(path)
    if p.is_dir():
        raise AudioError(f"cannot read {name}: it is a directory, not an audio file")
    if not p.exists():
        raise AudioError(f"cannot read {name}: file not found")
    try:
        size = p.stat().st_size
        with open(p, "rb"):
            pass
    except PermissionError:
        raise AudioError(f"cannot read {name}: permission denied") from None
    except OSError as e:
        raise AudioError(f"cannot read {name}: {e.strerror or e}") from None
    if size == 0:
        raise AudioError(f"cannot read {name}: the file is empty (0 bytes)")
    return name


@contextmanager
def _open(path: str | Path, name: str) -> Iterator[sf.SoundFile]:
    try:
        with _quiet_stderr():
            f = sf.SoundFile(str(path))
    except (sf.LibsndfileError, RuntimeError) as e:
        raise AudioError(_open_failure(path, name, e)) from None
    try:
        yield f
    finally:
        f.close()


def _open_failure(path: str | Path, name: str, error: Exception) -> str:
    """Tell apart a text file, a damaged file of a known kind and an unknown format."""
    ext = Path(path).suffix.lower()
    kind = _KNOWN_EXTENSIONS.get(ext)
    with open(path, "rb") as fh:
        head = fh.read(512)
    if _looks_like_text(head):
        what = f"{kind} audio" if kind else "audio"
        return f"cannot read {name}: it is a text file, not {what}"
    if kind:
        reason = _libsndfile_reason(error)
        detail = f" ({reason})" if reason else ""
        return f"cannot read {name}: corrupt or truncated {kind} file{detail}"
    supported = ", ".join(SUPPORTED)
    if ext:
        return f"cannot read {name}: unsupported audio format '{ext}' (supported: {supported})"
    return f"cannot read {name}: unrecognised audio format (supported: {supported})"


def _libsndfile_reason(error: Exception) -> str:
    """libsndfile's own words when they add something; its generic codes (1-4: not
    recognised, system error, malformed, unsupported encoding; 7: "does not exist", which is
    misleading for a file that exists) say no more than our message already does."""
    code = getattr(error, "code", None)
    if code is None or code <= 4 or code == 7:
        return ""
    # LibsndfileError's public error_string is libsndfile's sf_error_number(code) text.
    text = sf.LibsndfileError(code).error_string.strip()
    text = re.sub(r"^error\s*:\s*", "", text, flags=re.IGNORECASE).rstrip(".")
    if not text or text.lower().startswith("no error"):
        return ""
    return text[0].lower() + text[1:]


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\0" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(c.isprintable() or c in "\r\n\t" for c in text)


_stderr_lock = threading.Lock()


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    """libmpg123 writes notes about damaged frames straight to file descriptor 2; hide them
    so the user sees only voxrig's one-line message or warning."""
    with _stderr_lock:
        try:
            saved = os.dup(2)
        except OSError:  # no stderr at all (e.g. a GUI host): nothing to hide
            yield
            return
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, 2)
            finally:
                os.close(devnull)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _check_header_length(f: sf.SoundFile, name: str) -> None:
    seconds = f.frames / f.samplerate
    if seconds > MAX_SECONDS:
        raise AudioError(
            f"cannot use {name}: it is too long ({seconds / 3600:.1f} hours; "
            f"the limit is {MAX_SECONDS / 3600:g} hours) - split it into shorter files"
        )


def _declared_frames(path: str | Path, f: sf.SoundFile) -> int:
    """The length the file promises: libsndfile's count, or what a PCM header's data size
    says when that is more (libsndfile shortens a cut data chunk to what is there)."""
    return max(f.frames, promised_frames(path) or 0)


def _read_blocks(f: sf.SoundFile, name: str, frames: int) -> Iterator[np.ndarray]:
    """(frames, channels) float32 blocks until the decoder has nothing more to give (a
    header's frame count can differ from what actually decodes, e.g. in mp3)."""
    while True:
        try:
            # Only around the decoder call: between blocks the caller may write to stderr.
            with _quiet_stderr() if f.format == "MP3" else _no_op():
                block = f.read(frames, dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as e:
            at = f.tell() / f.samplerate if f.seekable() else 0.0
            reason = _libsndfile_reason(e)
            detail = f": {reason}" if reason else ""
            raise AudioError(
                f"cannot read {name}: decoding failed near {at:.2f} s (corrupt data{detail})"
            ) from None
        if len(block) == 0:
            return
        yield block


@contextmanager
def _no_op() -> Iterator[None]:
    yield


def _as_float32(x: np.ndarray, name: str) -> np.ndarray:
    if x.dtype.kind == "f":
        return x.astype(np.float32, copy=False)
    if x.dtype.kind == "i":
        return (x / float(2 ** (8 * x.dtype.itemsize - 1))).astype(np.float32)
    if x.dtype.kind == "u":
        half = float(2 ** (8 * x.dtype.itemsize - 1))
        return ((x - half) / half).astype(np.float32)
    if x.dtype.kind == "b":
        raise AudioError(f"cannot use {name}: samples are booleans, not audio")
    raise AudioError(f"cannot use {name}: samples of type {x.dtype} are not audio")


# --------------------------------------------------------------------------- checks and mixing


def _dbfs(peak: float) -> str:
    return "-inf dBFS" if peak <= 0 else f"{20 * math.log10(peak):.1f} dBFS"


@dataclass
class _Mix:
    """How to turn (channels, frames) into mono: a channel choice and a gain."""

    channel: int | None  # None: average all channels
    gain: float
    warnings: list[str]

    def apply(self, cols: np.ndarray) -> np.ndarray:
        if len(cols) == 1:
            mono = cols[0]
        elif self.channel is None:
            mono = _mean_rows(cols)
        else:
            mono = cols[self.channel]
        if self.gain != 1.0:
            mono = mono * np.float32(self.gain)
        return np.ascontiguousarray(mono, dtype=np.float32)


def _columns(x: np.ndarray) -> np.ndarray:
    """(frames, channels) as contiguous (channels, frames): numpy reduces a (frames, 2)
    array along its short axis ~30x slower than contiguous rows."""
    return np.ascontiguousarray(x.T, dtype=np.float32)


def _mean_rows(cols: np.ndarray) -> np.ndarray:
    total = cols[0].copy()
    for row in cols[1:]:
        total += row
    total *= np.float32(1.0 / len(cols))
    return total


class _Stats:
    """Everything the checks need, accumulated block by block so long files need one pass
    with bounded memory: non-finite samples, levels, clipping, channel cancellation."""

    def __init__(self, channels: int, sample_rate: int, name: str) -> None:
        self.channels = channels
        self.sample_rate = sample_rate
        self.name = name
        self.frames = 0
        self.peak = np.zeros(channels)
        self.full_scale = np.zeros(channels, dtype=np.int64)
        self.energy = np.zeros(channels)
        self.mean_peak = 0.0
        self.mean_energy = 0.0

    def update(self, cols: np.ndarray) -> None:
        """Add a (channels, frames) block."""
        if cols.shape[1] == 0:
            return
        energy = np.array([np.dot(row, row) for row in cols], dtype=np.float64)
        if not np.isfinite(energy).all():  # NaN and inf propagate into the sum of squares
            bad = np.flatnonzero(~np.isfinite(cols).all(axis=0))
            if len(bad):
                at = (self.frames + int(bad[0])) / self.sample_rate
                raise AudioError(
                    f"cannot use {self.name}: it contains NaN or infinite samples "
                    f"(first at {at:.3f} s)"
                )
            # finite but huge float samples overflowed float32 squares
            energy = np.array([np.dot(r.astype(np.float64), r) for r in cols])
        self.energy += energy
        for c, row in enumerate(cols):
            peak = max(float(row.max()), -float(row.min()))
            self.peak[c] = max(self.peak[c], peak)
            if peak >= CLIP_LEVEL:
                self.full_scale[c] += np.count_nonzero(row >= CLIP_LEVEL)
                self.full_scale[c] += np.count_nonzero(row <= -CLIP_LEVEL)
        if self.channels > 1:
            m = _mean_rows(cols)
            self.mean_peak = max(self.mean_peak, float(m.max()), -float(m.min()))
            self.mean_energy += float(np.dot(m.astype(np.float64), m))
        self.frames += cols.shape[1]

    def finish(self, declared_frames: int | None) -> _Mix:
        """Raise for unusable input; otherwise decide the mix and collect warnings."""
        name, sr = self.name, self.sample_rate
        if self.frames == 0:
            raise AudioError(f"cannot use {name}: it has no audio (0 samples)")
        seconds = self.frames / sr
        if seconds < MIN_SECONDS:
            raise AudioError(
                f"cannot use {name}: it is too short ({seconds:.3f} s; "
                f"at least {MIN_SECONDS:.2f} s is needed, one animation frame)"
            )
        warnings: list[str] = []
        channel: int | None = None
        peak = float(self.peak[0])
        if self.channels > 1:
            peak = self.mean_peak
            rms_mean = math.sqrt(self.mean_energy / self.frames)
            rms_channels = float(np.sqrt(self.energy / self.frames).mean())
            if rms_channels > 0 and rms_mean < CANCEL_RATIO * rms_channels:
                channel = int(np.argmax(self.energy))
                peak = float(self.peak[channel])
                warnings.append(
                    f"the {self.channels} channels of {name} cancel out when mixed "
                    f"(out of phase); using channel {channel + 1} only"
                )
        if peak < 10 ** (SILENT_DBFS / 20):
            raise AudioError(f"cannot use {name}: it is silent (peak level {_dbfs(peak)})")
        if declared_frames and self.frames < declared_frames * (1 - TRUNCATION_TOLERANCE):
            warnings.append(
                f"{name} seems truncated or damaged: its header promises "
                f"{declared_frames / sr:.2f} s but only {seconds:.2f} s could be decoded"
            )
        clipped = float(self.full_scale.sum()) / (self.frames * self.channels)
        if clipped > CLIP_FRACTION:
            warnings.append(
                f"{name} is clipped: {100 * clipped:.1f}% of samples are at full scale; "
                "the result may be less accurate (record at a lower input level)"
            )
        gain = 1.0
        if peak < 10 ** (QUIET_DBFS / 20):
            gain = 10 ** (QUIET_TARGET_DBFS / 20) / peak
            warnings.append(
                f"{name} is very quiet (peak level {_dbfs(peak)}); boosted by "
                f"{20 * math.log10(gain):.1f} dB - check that this is the intended recording"
            )
        if sr < ANALYSIS_RATE:
            warnings.append(
                f"{name} has a low sample rate ({sr} Hz): sounds above {sr // 2} Hz are "
                "missing, so lip sync may be less accurate"
            )
        return _Mix(channel, gain, warnings)


# --------------------------------------------------------------------------- whole and long files


def _load_whole(f: sf.SoundFile, path: str | Path, name: str, config: AudioConfig) -> Audio:
    blocks = list(_read_blocks(f, name, max(f.frames, _BLOCK_FRAMES)))
    if len(blocks) == 1:
        x = blocks[0]
    elif blocks:
        x = np.concatenate(blocks)
    else:
        x = np.zeros((0, f.channels), dtype=np.float32)
    cols = _columns(x)
    del x, blocks
    stats = _Stats(f.channels, f.samplerate, name)
    stats.update(cols)
    mix = stats.finish(declared_frames=_declared_frames(path, f))
    y = Resampler(f.samplerate, ANALYSIS_RATE).run(mix.apply(cols))
    return Audio(y, ANALYSIS_RATE, str(path), 0.0, mix.warnings)


def _scan(path: str | Path, name: str) -> tuple[_Mix, int, int]:
    """First pass over a long file: checks and mix decision, nothing kept."""
    with _open(path, name) as f:
        stats = _Stats(f.channels, f.samplerate, name)
        for block in _read_blocks(f, name, _BLOCK_FRAMES):
            stats.update(_columns(block))
        return stats.finish(declared_frames=_declared_frames(path, f)), stats.frames, f.samplerate


def _resampled_blocks(
    path: str | Path, name: str, mix: _Mix, config: AudioConfig
) -> Iterator[np.ndarray]:
    with _open(path, name) as f:
        resampler = Resampler(f.samplerate, ANALYSIS_RATE)
        for block in _read_blocks(f, name, _BLOCK_FRAMES):
            y = resampler.feed(mix.apply(_columns(block)))
            if len(y):
                yield y
        y = resampler.flush()
        if len(y):
            yield y


def _load_streamed(path: str | Path, name: str, config: AudioConfig) -> Audio:
    mix, frames, rate = _scan(path, name)
    out = np.empty(output_length(frames, rate, ANALYSIS_RATE), dtype=np.float32)
    n = 0
    for y in _resampled_blocks(path, name, mix, config):
        take = min(len(y), len(out) - n)  # guards against a file that changed between passes
        out[n : n + take] = y[:take]
        n += take
    return Audio(out[:n], ANALYSIS_RATE, str(path), 0.0, mix.warnings)


def _chunks_streamed(path: str | Path, name: str, config: AudioConfig) -> Iterator[Audio]:
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

    for y in _resampled_blocks(path, name, mix, config):
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
