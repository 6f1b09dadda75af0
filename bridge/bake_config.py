"""The bake options, declared once for every command that bakes (`bake`, `batch`,
`preview`, `render`), and turned into the one Config the bake takes (from a command line or a batch
manifest line)."""

from __future__ import annotations

import argparse

from voxrig.core.config import Config
from voxrig.core.emotion.tags import load_timeline
from voxrig.core.engines import ENGINES
from voxrig.core.errors import VoxrigError

from .argtypes import frame_rate, strength


def add_bake_options(parser: argparse.ArgumentParser, *, tracks: bool = True,
                     fps: bool = True) -> None:  # fmt: skip
    """How the face moves: frame rate (unless `fps` is False: render takes the video's),
    engine, strength, expression, idle motion, listening, the transcript's language; with
    `tracks`, the optional --visemes and --keypoints tracks too (preview draws keypoints its
    own way)."""
    parser.add_argument("--language", metavar="CODE", default="auto",
                        help="the transcript's language as an espeak-ng code (es, fr, sv, "
                        "cmn, ja, ...; needs Debian's libespeak-ng1). Default auto: English, "
                        "or what a non-Latin script says (Han cmn, kana ja, Hangul ko, "
                        "Cyrillic ru, ...); see docs/alignment.md")
    if fps:
        parser.add_argument("--fps", type=frame_rate, default=30.0,
                            help="output frame rate, e.g. 24, 25, 29.97, 30, 50, 60 "
                            "(default 30)")
    if tracks:
        parser.add_argument("--visemes", action="store_true",
                            help="add OVR-15 viseme weights")
        parser.add_argument("--keypoints", action="store_true",
                            help="add 68x3 face keypoint displacements (JSON only)")
    parser.add_argument("--engine", choices=ENGINES, default="auto",
                        help="neural (the audio-to-face model, any language, steered by the "
                        "aligned phones when there is a transcript), phonetic (recognised or "
                        "aligned phones, animated by rules) or auto = neural (default auto)")
    parser.add_argument("--heard-phones", choices=("on", "off"), default="on",
                        help="without a transcript, the neural engine also recognises the "
                        "phones and seals the closures and rounds the vowels its mouth nearly "
                        "makes (default on; off: the model's mouth alone, as `voxrig stream` "
                        "shows it, 2-3x faster on long files)")
    parser.add_argument("--strength", type=strength, default=1.0,
                        help="articulation strength, 0 (still) to 2 (exaggerated); default 1")
    parser.add_argument("--emotion", default="auto", metavar="auto|none|FILE",
                        help="expression from the transcript and voice (auto), none, or a "
                        "voxrig.emotion timeline file (default auto)")
    parser.add_argument("--idle", choices=("on", "off"), default="on",
                        help="blinks, gaze and head motion (default on)")
    parser.add_argument("--listen", action="store_true",
                        help="listening mode: the face hears the speech (no lip motion; "
                        "nods, smiles, brow raises)")


def config_from_args(args: argparse.Namespace, kind: str = "json") -> Config:
    """The Config of a command line that has add_bake_options' options."""
    return bake_config(fps=args.fps, kind=kind, visemes=getattr(args, "visemes", False),
                       keypoints=getattr(args, "keypoints", False), engine=args.engine,
                       strength=args.strength, language=args.language, emotion=args.emotion,
                       idle=args.idle, listen=args.listen, heard=args.heard_phones)


def bake_config(*, fps: float, kind: str, visemes: bool, keypoints: bool, engine: str,
                strength: float, language: str, emotion: str, idle: str, listen: bool,
                heard: str = "on") -> Config:  # fmt: skip
    """`kind` is the output format: a visemes file needs visemes. A bad emotion timeline file
    or heard-phones setting fails here, before the bake."""
    if heard not in ("on", "off"):
        raise VoxrigError(f"heard_phones must be on or off, not {heard!r}")
    config = Config(fps=fps, visemes=visemes or kind == "visemes", keypoints=keypoints,
                    engine=engine)
    config.animator.strength = strength
    config.align.text_language = language
    config.emotion.mode = emotion
    if emotion not in ("auto", "none"):
        load_timeline(emotion)
    config.idle.enabled = idle == "on"
    config.idle.listen = listen
    config.animator.heard_phones = heard == "on"
    return config
