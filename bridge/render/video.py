"""The renderer's video in and out, through the ffmpeg binary of the imageio-ffmpeg wheel (the
`render` extra): what a video is (size, frame rate, a still image or not), its frames (all at
once, or one at a time from a pipe so a long dub holds none but the ones being redrawn), and
the finished mp4 with the new audio, written atomically (bridge/preview/video.py's
encoder)."""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import closing
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


def frames_that_fit(info: VideoInfo) -> int:
    """How many of the video's decoded frames read_frames holds at most (MAX_FRAME_BYTES)."""
    return MAX_FRAME_BYTES // (info.width * info.height * 3)


def _decode_command(path: Path, limit: int) -> list[str]:
    """ffmpeg decoding the video's first `limit` frames to raw RGB on its stdout."""
    return [ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path),
            "-frames:v", str(limit), "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]


def _decode_error(path: Path, stderr: bytes) -> VoxrigError:
    """The one line for a video ffmpeg could not decode, with ffmpeg's last word on it."""
    reason = stderr.decode("utf-8", "replace").strip().splitlines()
    return VoxrigError(f"cannot decode video {str(path)!r}"
                       + (f" ({reason[-1]})" if reason else ""))


def read_frames(path: Path, info: VideoInfo, limit: int) -> np.ndarray:
    """(N, H, W, 3) uint8 RGB, the video's first `limit` frames at most, and no more than
    frames_that_fit: for a video that has to be indexed (played backwards)."""
    frame_bytes = info.width * info.height * 3
    limit = min(limit, frames_that_fit(info))
    proc = subprocess.run(_decode_command(path, limit), capture_output=True)
    frames = len(proc.stdout) // frame_bytes
    if proc.returncode != 0 or frames == 0:
        raise _decode_error(path, proc.stderr)
    data = np.frombuffer(proc.stdout[:frames * frame_bytes], dtype=np.uint8)
    return data.reshape(frames, info.height, info.width, 3)


def stream_frames(path: Path, info: VideoInfo, limit: int) -> Iterator[np.ndarray]:
    """The video's first `limit` frames at most, (H, W, 3) uint8 RGB each, decoded one at a
    time as they are asked for: what a dub that plays the video forwards needs, in the memory
    of a frame, not of the video. Frame k is read_frames(...)[k]. ffmpeg stops when the
    iterator is closed or dropped; a video it cannot decode is read_frames' one line."""
    frame_bytes = info.width * info.height * 3
    # stderr to a file, not a pipe: a damaged video's many error lines cannot block ffmpeg
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(_decode_command(path, limit), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=errors)
        assert proc.stdout is not None
        try:
            count = 0
            while count < limit:
                data = proc.stdout.read(frame_bytes)
                if len(data) < frame_bytes:
                    break  # the end of the video (a partial frame is dropped, as read_frames)
                count += 1
                yield np.frombuffer(data, dtype=np.uint8).reshape(info.height, info.width, 3)
            else:
                return  # all `limit` frames: what ffmpeg does after them does not matter
            if proc.wait() != 0 or count == 0:
                errors.seek(0)
                raise _decode_error(path, errors.read())
        finally:
            proc.stdout.close()
            if proc.poll() is None:
                proc.terminate()
            proc.wait()


def read_frame(path: Path, info: VideoInfo, index: int) -> np.ndarray:
    """Frame `index` of the video (H, W, 3) uint8, decoded by reading forwards to it: one
    frame (the person's closed-mouth reference) without holding the ones before it."""
    with closing(stream_frames(path, info, limit=index + 1)) as frames:
        for k, frame in enumerate(frames):
            if k == index:
                return frame
    raise VoxrigError(f"cannot decode video {str(path)!r} (it has no frame {index})")


def write_video(frames: Iterable[np.ndarray], fps: float, output: Path,
                audio: Path | None) -> None:
    """The rendered frames and the audio as one mp4, appearing whole or not at all."""
    ffmpeg()  # the render extra's message, not preview's
    encode_mp4(frames, fps, output, audio)
