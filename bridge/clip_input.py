"""INPUT as speech audio to bake (with its transcript) or a baked clip (with its audio): the
commands that make a video of either (preview, render) read it the same way."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from voxrig.core.audio import probe
from voxrig.core.clip import Clip
from voxrig.core.config import Config
from voxrig.core.errors import VoxrigError

from .clipio import load_clip
from .transcripts import transcript_from

CLIP_SUFFIXES = (".json", ".csv")  # INPUT with these is a baked clip, anything else audio


def add_input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="speech audio to bake, or a baked clip (.json / .csv)")
    text = parser.add_mutually_exclusive_group()
    text.add_argument("--text", metavar="FILE", help="transcript file (UTF-8) for baking")
    text.add_argument("--transcript", metavar="TEXT", help="transcript given inline")
    parser.add_argument("--audio", metavar="AUDIO",
                        help="the clip's audio, muxed into the video (when INPUT is a clip)")


def is_clip(source: Path) -> bool:
    return source.suffix.lower() in CLIP_SUFFIXES


def clip_from_input(args: argparse.Namespace, config: Callable[[], Config]
                    ) -> tuple[Clip, Path | None]:  # fmt: skip
    """The clip and the audio that goes with it: a baked clip and its --audio, or INPUT baked
    with `config()` (built only then: a clip needs no bake options). Audio is probed first,
    for a clear error now rather than ffmpeg's later."""
    source = Path(args.input)
    if is_clip(source):
        if args.text or args.transcript:
            raise VoxrigError("--text/--transcript are for baking audio; INPUT is a baked clip")
        clip = load_clip(source)
        audio = Path(args.audio) if args.audio else None
        if audio is not None:
            probe(audio)
        return clip, audio
    if args.audio:
        raise VoxrigError("--audio is for a baked clip; INPUT is already the audio")
    probe(source)
    transcript = transcript_from(args.text, args.transcript)
    from voxrig.core.bake import bake

    return bake(source, transcript, config()), source
