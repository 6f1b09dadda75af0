"""`voxrig render`: a person's video speaking new audio. The audio is baked as `voxrig bake`
bakes it (or an edited clip is read), the clip's 68 keypoints are put onto the person's face,
the mouth of every video frame is redrawn by the face model's generator and the video is
written with the new audio."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from voxrig import core
from voxrig.core.audio import load_audio
from voxrig.core.clip import Clip
from voxrig.core.config import Config
from voxrig.core.errors import VoxrigError
from voxrig.core.face_phones import aligned_phones
from voxrig.core.face_render import Generator, dub, keypoints_at
from voxrig.core.rig import load_rig

from ..argtypes import frame_rate
from ..bake_config import add_bake_options, config_from_args
from ..clip_input import add_input_options, clip_from_input
from . import video
from .tracking import Landmarks, face_landmarks, load_track, person, track_from_landmarks
from .video import VideoInfo, probe, read_frame, read_frames, stream_frames, write_video
from .voxface import Face, open_generator, read_face

ASSETS = Path(core.__file__).parent / "assets" / "face"
DEMO_FACE = ASSETS / "grid-s1.voxface"
DEMO_VIDEO = ASSETS / "grid-s1-demo.mp4"
DEMO_TRACK = ASSETS / "grid-s1-demo.track.npz"

EXAMPLES = """examples:
  voxrig render line.wav -o line.mp4                       # the bundled demo face says it
  voxrig render line.wav --text line.txt --video me.mp4 -o dub.mp4
  voxrig render line.voxrig.json --audio line.wav -o line.mp4   # an edited clip
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_input_options(parser)
    parser.add_argument("--video", metavar="V.mp4",
                        help="the person to dub (default: the bundled demo video); its face "
                        "is tracked with mediapipe (docs/cli.md, render)")
    parser.add_argument("--face", metavar="NAME.voxface",
                        help="face model (default: the bundled GRID s1 demo face)")
    parser.add_argument("-o", "--output", metavar="OUT.mp4",
                        help="video file (default: <input>.render.mp4 beside the input)")
    parser.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    baking = parser.add_argument_group("baking audio (as voxrig bake)")
    add_bake_options(baking, tracks=False, fps=False)
    baking.add_argument("--fps", type=frame_rate, default=None,
                        help="not needed: render writes at the video's frame rate (a "
                        "different rate is refused)")


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    source = Path(args.input)
    output = Path(args.output) if args.output else _default_output(source)
    _check_output(output, source, args.force)
    face_path = Path(args.face) if args.face else DEMO_FACE
    face = read_face(face_path)
    generate = open_generator(face, str(face_path))
    video_path = Path(args.video) if args.video else DEMO_VIDEO
    info = probe(video_path)
    if args.fps is not None and abs(args.fps - info.fps) > 1e-3:
        raise VoxrigError(f"render writes at the video's frame rate ({info.fps:g} fps); "
                          f"leave out --fps")

    def config() -> Config:
        args.fps = info.fps
        config = config_from_args(args)
        config.keypoints = True  # the renderer draws the clip's keypoints
        return config

    marks = face_landmarks(video_path) if args.video else None  # a bad video fails first
    clip, audio = clip_from_input(args, config)
    dubbed = dub_clip(clip, audio, output, video_path, info, marks, face, generate)
    if not args.quiet:
        _report(clip, output, info, dubbed, audio, started)
    return 0


@dataclass(frozen=True)
class Dubbed:
    """What a dub wrote: frames, how many of the video's were used, how long the video is."""

    count: int
    used: int
    video_frames: int
    capped: bool
    remembered: bool = False  # the face has a mouth memory


def dub_clip(clip: Clip, audio: Path | None, output: Path, video_path: Path,
             info: VideoInfo, marks: Landmarks | None, face: Face,
             generate: Generator) -> Dubbed:  # fmt: skip
    """The person of `video_path` (tracked as `marks`; None: the bundled demo video and its
    stored track) saying `clip`, written to `output` with `audio`."""
    demo = load_track(DEMO_TRACK) if marks is None else None
    # the video's length is known from its track (one row per frame) before it is decoded
    video_frames = len(marks.points) if marks is not None else len(demo.a)
    keypoints = keypoints_at(clip, info.fps)
    count = len(keypoints)
    frames: np.ndarray | Iterator[np.ndarray]
    capped = False
    if count <= video_frames:  # played forwards only: streamed, a batch of frames in memory
        used = count
        frames = _whole(stream_frames(video_path, info, limit=count), count, video_path,
                        video_frames)
        frame_at = partial(read_frame, video_path, info)
    else:  # played backwards too: indexed, so held (at most frames_that_fit)
        frames = read_frames(video_path, info, limit=count)
        used = len(frames)
        capped = video_frames > video.frames_that_fit(info)
        frame_at = frames.__getitem__
    neutral = load_rig().neutral_landmarks
    track = (track_from_landmarks(str(video_path), marks, used, frame_at, face.template,
                                  neutral) if marks is not None else demo)
    place, reference = person(track, face, neutral)
    # S1's memory mouths come from the sound itself, S3's phones from the clip's alignment
    sound = load_audio(audio).samples if audio is not None and generate.memory else None
    conditions = generate.conditions(sound, count, info.fps, aligned_phones(clip))
    out = dub(frames, track.a, track.t, reference, place, keypoints, generate, conditions)
    write_video(out, info.fps, output, audio)
    return Dubbed(count, used, video_frames, capped, generate.memory is not None)


def render_demo(clip: Clip, audio: Path, output: Path) -> Dubbed:
    """The bundled demo face saying `clip` (for `voxrig demo`)."""
    face = read_face(DEMO_FACE)
    generate = open_generator(face, str(DEMO_FACE))
    return dub_clip(clip, audio, output, DEMO_VIDEO, probe(DEMO_VIDEO), None, face, generate)


def _whole(frames: Iterator[np.ndarray], count: int, path: Path,
           tracked: int) -> Iterator[np.ndarray]:
    """The streamed frames, with one line if the decoder gives fewer than its track counted
    (a dub shorter than its audio must not be written)."""
    seen = 0
    with closing(frames):  # ffmpeg stops with the dub, whether it ends or fails
        for frame in frames:
            seen += 1
            yield frame
    if seen < count:
        raise VoxrigError(f"cannot decode video {str(path)!r} (it ended after {seen} frames; "
                          f"its face was tracked on {tracked})")


def _check_output(output: Path, source: Path, force: bool) -> None:
    if output.suffix.lower() != ".mp4":
        raise VoxrigError(f"cannot write {str(output)!r}: render writes an .mp4 video")
    if output.exists() and output.resolve() == source.resolve():
        raise VoxrigError("the output would overwrite the input")
    check_new_output(output, force)


def check_new_output(output: Path, force: bool) -> None:
    """An existing file is replaced only with --force, and the folder must be there (render
    and train-face write their outputs atomically, so nothing is touched before the end)."""
    if output.exists() and not force:
        raise VoxrigError(f"{str(output)!r} exists; choose another -o or pass --force to "
                          f"overwrite it")
    if not output.parent.is_dir():
        raise VoxrigError(f"cannot write {str(output)!r}: folder {str(output.parent)!r} "
                          f"does not exist")


def _report(clip: Clip, output: Path, info: VideoInfo, dubbed: Dubbed, audio: Path | None,
            started: float) -> None:
    for warning in clip.meta.get("warnings", []):
        print(f"voxrig: warning: {warning}", file=sys.stderr)
    count, used = dubbed.count, dubbed.used
    if count > used:
        print(f"voxrig: note: the audio ({count / info.fps:.2f} s) is longer than the video "
              f"({dubbed.video_frames / info.fps:.2f} s): the video plays forwards and "
              f"backwards to cover it", file=sys.stderr)
    if dubbed.capped:
        print(f"voxrig: note: only the video's first {used / info.fps:.2f} s fit in memory "
              f"({video.MAX_FRAME_BYTES / 2 ** 30:.3g} GiB of decoded frames to play backwards), "
              f"so that is what plays forwards and backwards", file=sys.stderr)
    if audio is None:
        memory = (" (and the face's mouth memory, which draws teeth and the inside of the mouth "
                  "from the sound, had none: its mouth is softer)" if dubbed.remembered else "")
        print(f"voxrig: note: no --audio given, the video is silent{memory}", file=sys.stderr)
    print(f"wrote {output} ({count} frames at {info.fps:g} fps, {info.width}x{info.height}) "
          f"in {time.monotonic() - started:.1f} s", file=sys.stderr)


def _default_output(source: Path) -> Path:
    return source.with_name(source.stem.removesuffix(".voxrig") + ".render.mp4")
