"""The renderer's video in and out, through the ffmpeg binary of the imageio-ffmpeg wheel (the
`render` extra): what a video is (size, frame rate, a still image or not), its frames, and the
finished mp4 with the new audio, written atomically (bridge/preview/video.py's encoder)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voxrig.core.errors import VoxrigError

from ..preview.video import encode_mp4, ffmpeg_exe

MISSING_FFMPEG = "render needs ffmpeg from the imageio-ffmpeg package: pip install 'voxrig[render]'"
STILL_FORMATS = ("image2", "_pipe", "gif")  # ffmpeg's demuxers of pictures, not videos
MAX_FRAME_BYTES = 4 * 2 ** 30  # decoded frames held at once (a 1080p minute is about 9 GB)


def ffmpeg() -> str:
    """The ffmpeg binary of imageio-ffmpeg, or the one line naming the render extra."""
    return ffmpeg_exe(MISSING_FFMPEG)


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    fps: float


def probe(path: Path) -> VideoInfo:
    """Size and frame rate of a video, from what `ffmpeg -i` says about it; a missing file,
    a picture or a file without a video stream is one line."""
    name = str(path)
    if not path.is_file():
        reason = "it is a directory, not a video" if path.is_dir() else "file not found"
        raise VoxrigError(f"cannot read video {name!r}: {reason}")
    text = subprocess.run([ffmpeg(), "-hide_banner", "-nostdin", "-i", str(path)],
                          capture_output=True, text=True, errors="replace").stderr
    demuxer = re.search(r"Input #0, ([\w,]+), from", text)
    stream = re.search(r"Stream #\S+: Video: [^\n]*?, (\d+)x(\d+)[^\n]*?([\d.]+) (?:fps|tbr)",
                       text)
    if demuxer is None or stream is None:
        raise VoxrigError(f"cannot read video {name!r}: not a video file ffmpeg can decode")
    if any(kind in demuxer.group(1) for kind in STILL_FORMATS):
        raise VoxrigError(f"cannot use {name!r}: it is a still image, not a video "
                          f"(give a video of the person speaking or at rest)")
    return VideoInfo(int(stream.group(1)), int(stream.group(2)), float(stream.group(3)))


def read_frames(path: Path, info: VideoInfo, limit: int) -> np.ndarray:
    """(N, H, W, 3) uint8 RGB, the video's first `limit` frames at most."""
    frame_bytes = info.width * info.height * 3
    if frame_bytes * min(limit, 2 ** 20) > MAX_FRAME_BYTES:
        limit = MAX_FRAME_BYTES // frame_bytes
    proc = subprocess.run([ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error",
                           "-i", str(path), "-frames:v", str(limit), "-f", "rawvideo",
                           "-pix_fmt", "rgb24", "pipe:1"], capture_output=True)
    frames = len(proc.stdout) // frame_bytes
    if proc.returncode != 0 or frames == 0:
        reason = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise VoxrigError(f"cannot decode video {str(path)!r}"
                          + (f" ({reason[-1]})" if reason else ""))
    data = np.frombuffer(proc.stdout[:frames * frame_bytes], dtype=np.uint8)
    return data.reshape(frames, info.height, info.width, 3)


def write_video(frames: Iterable[np.ndarray], fps: float, output: Path,
                audio: Path | None) -> None:
    """The rendered frames and the audio as one mp4, appearing whole or not at all."""
    ffmpeg()  # the render extra's message, not preview's
    encode_mp4(frames, fps, output, audio)
