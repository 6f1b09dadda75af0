"""Frames to an mp4 that ordinary players open (H.264 yuv420p + AAC), with the audio muxed in,
using the ffmpeg binary the imageio-ffmpeg wheel ships. The file appears atomically: ffmpeg
writes the temporary file bridge/atomic.py gives, renamed over the target only when complete."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import numpy as np

from voxrig.core.errors import VoxrigError

from ..atomic import atomic_output

MISSING_FFMPEG = ("preview needs ffmpeg from the imageio-ffmpeg package: "
                  "pip install 'voxrig[preview]'")


def ffmpeg_exe(missing: str = MISSING_FFMPEG) -> str:
    """Path of the ffmpeg binary from the imageio-ffmpeg wheel (imported only when needed);
    `missing` is the one line saying which extra to install (preview's or render's)."""
    try:
        import imageio_ffmpeg
    except ImportError:
        raise VoxrigError(missing) from None
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:
        raise VoxrigError(f"{missing} ({exc})") from None


def rate_text(fps: float) -> str:
    """ffmpeg's exact rational for a frame rate (29.97 -> 30000/1001)."""
    rate = Fraction(fps).limit_denominator(1001)
    return f"{rate.numerator}/{rate.denominator}"


def encode_mp4(frames: Iterable[np.ndarray], fps: float, output: str | Path,
               audio: str | Path | None = None) -> None:
    """Pipe RGB frames (H, W, 3) uint8 of one size into ffmpeg and write `output` atomically."""
    with atomic_output(output) as tmp:
        _run_ffmpeg(ffmpeg_exe(), iter(frames), fps, tmp, audio)


def _run_ffmpeg(exe: str, frames: Iterable[np.ndarray], fps: float, tmp: Path,
                audio: str | Path | None) -> None:
    iterator = iter(frames)
    first = next(iterator, None)
    if first is None:
        raise VoxrigError("nothing to render: the clip has no frames")
    height, width = first.shape[:2]
    if height % 2 or width % 2:
        raise VoxrigError(f"frame size {width}x{height} must be even for yuv420p video")
    cmd = [exe, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
           "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
           "-framerate", rate_text(fps), "-i", "pipe:0"]
    if audio is not None:
        cmd += ["-i", str(audio), "-map", "0:v:0", "-map", "1:a:0"]
    cmd += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
            "-movflags", "+faststart"]
    if audio is not None:
        cmd += ["-c:a", "aac", "-b:a", "128k"]
    cmd += ["-f", "mp4", str(tmp)]
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=errors,
                                stdout=subprocess.DEVNULL)
        assert proc.stdin is not None
        try:
            for frame in _chain(first, iterator):
                if frame.shape[:2] != (height, width):
                    raise VoxrigError("all frames must have the same size")
                proc.stdin.write(np.ascontiguousarray(frame, dtype=np.uint8).tobytes())
            proc.stdin.close()
        except BrokenPipeError:
            pass  # ffmpeg stopped early; its message says why
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        code = proc.wait()
        if code != 0:
            errors.seek(0)
            lines = errors.read().decode("utf-8", "replace").strip().splitlines()
            reason = lines[-1] if lines else f"exit code {code}"
            raise VoxrigError(f"ffmpeg could not write the video: {reason}")


def _chain(first: np.ndarray, rest: Iterable[np.ndarray]) -> Iterable[np.ndarray]:
    yield first
    yield from rest
