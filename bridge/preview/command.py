"""`voxrig preview`: bake an audio file (or take a baked clip) and write a video of the ICT head
speaking it, with the audio."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from voxrig.core.config import Config
from voxrig.core.errors import VoxrigError

from ..bake_config import add_bake_options, config_from_args
from ..clip_input import add_input_options, clip_from_input, is_clip
from ..clipio import load_clip
from ..progress import ProgressBar
from .compose import write_preview

SIZES = (128, 2048)

EXAMPLES = """examples:
  voxrig preview line.wav --text line.txt            # -> line.preview.mp4 beside the audio
  voxrig preview line.wav --transcript "Hello there" -o hello.mp4 --keypoints
  voxrig preview line.voxrig.json --audio line.wav -o line.mp4
  voxrig preview a.json --audio line.wav --side-by-side b.json --labels "30 fps,strength 1.5"
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_input_options(parser)
    parser.add_argument("-o", "--output", metavar="OUT.mp4",
                        help="video file (default: <input>.preview.mp4 beside the input)")
    parser.add_argument("--keypoints", action="store_true", help="draw the 68 face landmarks")
    parser.add_argument("--side-by-side", metavar="CLIP2",
                        help="a second clip (.json / .csv) drawn to the right, for comparing")
    parser.add_argument("--labels", metavar="A,B",
                        help="captions of the two heads with --side-by-side "
                        "(default: the clip file names)")
    parser.add_argument("--size", type=int, default=512,
                        help=f"height and width of one head in pixels, even, {SIZES[0]}.."
                        f"{SIZES[1]} (default 512)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    add_bake_options(parser.add_argument_group("baking audio (as voxrig bake)"), tracks=False)


def run(args: argparse.Namespace) -> int:
    source = Path(args.input)
    if not (SIZES[0] <= args.size <= SIZES[1]) or args.size % 2:
        raise VoxrigError(f"--size must be even and within {SIZES[0]}..{SIZES[1]}")
    output = Path(args.output) if args.output else _default_output(source)
    if output.suffix.lower() != ".mp4":
        raise VoxrigError(f"cannot write {str(output)!r}: the preview is an .mp4 video")
    if output.exists() and output.resolve() == source.resolve():
        raise VoxrigError("the output would overwrite the input")
    started = time.monotonic()

    def config() -> Config:
        config = config_from_args(args)
        config.keypoints = args.keypoints  # drawn, so baked
        return config

    clip, audio = clip_from_input(args, config)
    label = source.name if is_clip(source) else "voxrig"
    clips = [clip]
    labels = None
    if args.side_by_side:
        second = Path(args.side_by_side)
        clips.append(load_clip(second))
        labels = [label, second.name]
        if args.labels:
            labels = [part.strip() for part in args.labels.split(",")]
            if len(labels) != 2:
                raise VoxrigError("--labels needs two captions separated by a comma")
    elif args.labels:
        raise VoxrigError("--labels is for --side-by-side")

    bar = ProgressBar(enabled=not args.quiet)
    try:
        write_preview(clips, output, audio=audio, size=args.size, keypoints=args.keypoints,
                      labels=labels, progress=bar)
    finally:
        bar.close()
    if not args.quiet:
        for warning in clip.meta.get("warnings", []):
            print(f"voxrig: warning: {warning}", file=sys.stderr)
        if audio is None:
            print("voxrig: note: no --audio given, the video is silent", file=sys.stderr)
        elapsed = time.monotonic() - started
        print(f"wrote {output} ({clip.frame_count} frames at {clip.fps:g} fps, "
              f"{clip.duration:.2f} s) in {elapsed:.1f} s", file=sys.stderr)
    return 0


def _default_output(source: Path) -> Path:
    stem = source.stem.removesuffix(".voxrig")
    return source.with_name(stem + ".preview.mp4")
