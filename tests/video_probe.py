"""Reading a written video back, for the preview tests: what `ffmpeg -i` reports about it and
its decoded frames, with the ffmpeg binary voxrig itself uses (the imageio-ffmpeg wheel ships
no ffprobe). Only tests read videos, so this lives here, not in bridge/preview/."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voxrig.bridge.preview.video import ffmpeg_exe


@dataclass(frozen=True)
class VideoInfo:
    duration: float  # seconds, from the container
    fps: float
    width: int
    height: int
    video_codec: str
    pixel_format: str
    audio_codec: str | None  # None: no audio stream


def probe_video(path: str | Path) -> VideoInfo:
    """What `ffmpeg -i` reports about a video."""
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
                          capture_output=True, text=True)
    text = proc.stderr
    duration = re.search(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)", text)
    video = re.search(r"Stream #\S+: Video: (\w+)[^,\n]*, (\w+)[^\n]*?, (\d+)x(\d+)[^\n]*?"
                      r"([\d.]+) fps", text)
    if not duration or not video:
        raise ValueError(f"ffmpeg finds no video stream in {str(path)!r}:\n{text}")
    audio = re.search(r"Stream #\S+: Audio: (\w+)", text)
    h, m, s = duration.groups()
    return VideoInfo(duration=int(h) * 3600 + int(m) * 60 + float(s), fps=float(video.group(5)),
                     width=int(video.group(3)), height=int(video.group(4)),
                     video_codec=video.group(1), pixel_format=video.group(2),
                     audio_codec=audio.group(1) if audio else None)


def read_frames(path: str | Path, width: int, height: int) -> np.ndarray:
    """Every frame of a video as (N, H, W, 3) uint8."""
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error",
                           "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
                          capture_output=True, check=True)
    return np.frombuffer(proc.stdout, dtype=np.uint8).reshape(-1, height, width, 3)
