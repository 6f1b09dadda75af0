"""The `voxrig` command line. Every user mistake ends in one line on stderr and a non-zero exit
code, never a traceback."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from voxrig.core.audio import probe
from voxrig.core.bake import bake
from voxrig.core.clip import Clip
from voxrig.core.config import Config
from voxrig.core.errors import VoxrigError
from voxrig.core.rig import keypoints
from voxrig.core.summary import sparkline, summarise_mouth

from . import batch_command
from .bake_config import add_bake_options, config_from_args
from .clipio import check_exportable, is_voxrig_output, load_clip, save_clip
from .exporters import EXPORTERS, ExportOptions, export, export_format_for, moho, written_by_voxrig
from .exporters.options import DEFAULT_UNITY_PATH
from .exporters.rhubarb import centisecond_cues
from .live import command as stream_command
from .preview import command as preview_command
from .progress import ProgressBar
from .render import command as render_command
from .render import train_face as train_face_command
from .render.video import MISSING_FFMPEG
from .termination import Terminated, signals_raise
from .transcripts import transcript_from
from .version import voxrig_version

EXIT_OK = 0
EXIT_INPUT = 1  # the input or output could not be used (message says why)
EXIT_USAGE = 2  # the command line itself is wrong (argparse's convention)
EXIT_INTERRUPTED = 130
EXIT_SIGNAL = 128  # + the signal's number (SIGTERM: 143), as a shell reports a killed command

SAMPLE_DIR = Path(__file__).parent / "samples"
SAMPLE_AUDIO = SAMPLE_DIR / "LJ001-0001.flac"
SAMPLE_TEXT = SAMPLE_DIR / "LJ001-0001.txt"
PROGRESS_AFTER_SECONDS = 30.0  # inputs shorter than this finish before a bar would help

BAKE_EXAMPLES = """examples:
  voxrig bake line.wav                          # -> line.voxrig.json beside the audio
  voxrig bake line.wav --text line.txt          # align to the transcript (better timing)
  voxrig bake line.wav --engine phonetic        # recognised phones instead of the model
  voxrig bake line.wav --transcript "Hello there" -o hello.csv --fps 60
  voxrig bake line.flac --visemes --keypoints -o line.json
  voxrig bake line.wav -o line.anim --unity-path Body   # Unity AnimationClip
  voxrig bake line.wav -o line.glb                      # glTF head that speaks the line
  voxrig bake line.wav -o line.tsv                      # Rhubarb mouth cues for 2D

output formats (by extension, or --format NAME):
{formats}
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.error(f"no command given: use one of {', '.join(args.command_names)}")
    try:
        with signals_raise():  # SIGTERM unwinds too: unfinished writes leave no temp file
            return args.run(args)
    except VoxrigError as exc:
        _say(f"voxrig: error: {exc}")
        return EXIT_INPUT
    except KeyboardInterrupt:
        _say("voxrig: interrupted")
        return EXIT_INTERRUPTED
    except Terminated as exc:
        _say(f"voxrig: stopped by {exc}")
        return EXIT_SIGNAL + exc.signum


class _Parser(argparse.ArgumentParser):
    """argparse, but a wrong command line is one line (no usage dump) and exit code 2, so it
    reads like every other voxrig error and scripts can tell it from a bad input (1)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {' '.join(message.split())} "
                              f"(see '{self.prog} --help')\n")


class _Version(argparse.Action):
    """--version, looked up only when asked for (reading package metadata is slow to import)."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:  # noqa: ANN001
        print(f"voxrig {voxrig_version()}")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="voxrig",
        description="Speech to ARKit-52 face animation, offline, on a plain CPU.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    bake_cmd = commands.add_parser(
        "bake",
        help="bake an audio file into a clip (JSON or CSV)",
        description="Bake speech into per-frame ARKit-52 weights (and optionally OVR-15 "
        "visemes and 68 face keypoints). Without a transcript the neural model animates "
        "the face from the audio; with one the phones are force-aligned and animated "
        "(see --engine).",
        epilog=BAKE_EXAMPLES.format(formats=_format_table()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bake_cmd.add_argument("audio", help="speech audio: wav, flac, ogg, opus or mp3")
    text = bake_cmd.add_mutually_exclusive_group()
    text.add_argument("--text", metavar="FILE", help="transcript file (UTF-8 text)")
    text.add_argument("--transcript", metavar="TEXT", help="transcript given inline")
    bake_cmd.add_argument("-o", "--output", metavar="OUT",
                          help="output file: .json or .csv, or an export format below "
                          "(default: <audio>.voxrig.json beside the audio)")
    bake_cmd.add_argument("--format", choices=list(EXPORTERS), metavar="NAME",
                          help="write this format whatever OUT's extension (see below)")
    bake_cmd.add_argument("--unity-path", default=DEFAULT_UNITY_PATH, metavar="PATH",
                          help="Unity .anim: the SkinnedMeshRenderer's path below the "
                          f"Animator (default {DEFAULT_UNITY_PATH!r})")
    add_bake_options(bake_cmd)
    bake_cmd.add_argument("--force", action="store_true",
                          help="overwrite OUT even if it is not a file voxrig wrote")
    bake_cmd.add_argument("-q", "--quiet", action="store_true",
                          help="print nothing but errors")
    bake_cmd.set_defaults(run=_run_bake)

    export_cmd = commands.add_parser(
        "export",
        help="convert a baked clip into another format (no baking again)",
        description="Write a baked voxrig clip (.json or .csv) in another format.",
        epilog="examples:\n  voxrig export line.voxrig.json -o line.anim --unity-path Body\n"
        "  voxrig export line.voxrig.json -o line.glb\n\n"
        f"output formats (by extension, or --format NAME):\n{_format_table()}\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export_cmd.add_argument("clip", help="a clip voxrig baked (.json or .csv)")
    export_cmd.add_argument("-o", "--output", metavar="OUT", required=True,
                            help="output file; its extension picks the format")
    export_cmd.add_argument("--format", choices=list(EXPORTERS), metavar="NAME",
                            help="write this format whatever OUT's extension")
    export_cmd.add_argument("--unity-path", default=DEFAULT_UNITY_PATH, metavar="PATH",
                            help="Unity .anim: the SkinnedMeshRenderer's path below the "
                            f"Animator (default {DEFAULT_UNITY_PATH!r})")
    export_cmd.add_argument("--keypoints", action="store_true",
                            help="JSON: add 68x3 keypoint displacements if the clip has none")
    export_cmd.add_argument("--force", action="store_true",
                            help="overwrite OUT even if it is not a file voxrig wrote")
    export_cmd.add_argument("-q", "--quiet", action="store_true",
                            help="print nothing but errors")
    export_cmd.set_defaults(run=_run_export)

    demo_cmd = commands.add_parser(
        "demo",
        help="bake the bundled LJSpeech sample and show the result",
        description="Bake the bundled public-domain LJSpeech clip with its transcript into "
        "JSON and CSV, and print what came out.",
    )
    demo_cmd.add_argument("--out", metavar="DIR", default="voxrig-demo",
                          help="folder for the baked files (default ./voxrig-demo)")
    demo_cmd.set_defaults(run=_run_demo)

    preview_cmd = commands.add_parser(
        "preview",
        help="render a video of the head speaking (mp4 with the audio)",
        description="Bake speech (or take a baked clip) and render the ICT head speaking it "
        "on the CPU: 512x512 at the clip's fps, H.264 + AAC. See docs/preview.md.",
        epilog=preview_command.EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    preview_command.add_arguments(preview_cmd)
    preview_cmd.set_defaults(run=preview_command.run)

    render_cmd = commands.add_parser(
        "render", help="dub a person's video: their mouth says the audio (mp4)",
        description="Bake speech (or take a baked clip) and redraw the mouth of a person's "
        "video to say it, at the video's size and frame rate. See docs/cli.md.",
        epilog=render_command.EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    render_command.add_arguments(render_cmd)
    render_cmd.set_defaults(run=render_command.run)

    train_face_cmd = commands.add_parser(
        "train-face", help="train a person's face model for render (.voxface) from videos",
        description="Track videos of one person speaking, bake their sound, and train the "
        "mouth generator `voxrig render --face` draws with. Needs torch (the 'train' extra) "
        "and mediapipe (as render --video). See docs/cli.md.",
        epilog=train_face_command.EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    train_face_command.add_arguments(train_face_cmd)
    train_face_cmd.set_defaults(run=train_face_command.run)

    stream_cmd = commands.add_parser(
        "stream",
        help="stream live animation over OSC (VMC, VRChat, generic) or Unreal Live Link",
        description="Turn audio into ARKit-52 frames as it arrives and send them to the app "
        "that drives the avatar. See docs/live.md for addresses and receiving recipes.",
        epilog=stream_command.EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    stream_command.add_arguments(stream_cmd)
    stream_cmd.set_defaults(run=stream_command.run)

    plot_cmd = commands.add_parser(
        "plot",
        help="draw a clip's main curves over its phones and words (PNG)",
        description="Plot a baked clip: the main mouth channels and the lip gap over time, "
        "with the phone and word timeline when the clip has one. Needs matplotlib "
        "(pip install 'voxrig[plot]').",
    )
    plot_cmd.add_argument("clip", help="a clip file (.json or .csv) from voxrig bake")
    plot_cmd.add_argument("-o", "--output", metavar="OUT",
                          help="image file, .png/.svg/.pdf (default: <clip>.png beside it)")
    plot_cmd.add_argument("--channels", metavar="A,B,...",
                          help="channels to draw instead of the busiest mouth channels")
    plot_cmd.set_defaults(run=_run_plot)

    batch_cmd = commands.add_parser(
        "batch",
        help="bake a folder or manifest of lines, skipping what is up to date",
        description="Bake many lines with workers that keep the model loaded; a rerun "
        "re-bakes only what changed and keeps outputs edited by hand. See docs/batch.md.",
        epilog=batch_command.EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    batch_command.add_arguments(batch_cmd)
    batch_cmd.set_defaults(run=batch_command.run_command)
    parser.set_defaults(command_names=tuple(commands.choices))  # for "no command given"
    return parser


def _run_bake(args: argparse.Namespace) -> int:
    audio = Path(args.audio)
    output = Path(args.output) if args.output else _default_output(audio)
    kind = export_format_for(output, args.format)
    if args.keypoints and kind != "json":
        raise VoxrigError("keypoints can only be written to JSON (use -o OUT.json)")
    _check_overwrite(output, kind, args.force)
    transcript = transcript_from(args.text, args.transcript)
    config = config_from_args(args, kind)

    started = time.monotonic()
    bar = ProgressBar(enabled=not args.quiet and probe(audio).duration > PROGRESS_AFTER_SECONDS)
    try:
        clip = bake(audio, transcript, config, progress=bar)
    finally:
        bar.close()
    # the Rhubarb JSON's soundFile is the audio path as the user gave it
    options = ExportOptions(name=output.name.split(".")[0] or "voxrig",
                            unity_path=args.unity_path, sound_file=str(audio))
    export(clip, output, kind, options)
    if not args.quiet:
        _print_warnings(clip)
        _say(f"wrote {output}: {_written(clip, kind)}, {clip.duration:.1f} s "
             f"(baked in {time.monotonic() - started:.1f} s)")
    return EXIT_OK


def _run_export(args: argparse.Namespace) -> int:
    source, output = Path(args.clip), Path(args.output)
    kind = export_format_for(output, args.format)
    _check_overwrite(output, kind, args.force)
    check_exportable(source)
    clip = load_clip(source)
    if kind == "visemes" and clip.visemes is None:
        raise VoxrigError(f"{str(source)!r} has no visemes; bake it again with --visemes")
    if kind == "json" and clip.keypoints is None and args.keypoints:
        clip = clip.with_(keypoints=keypoints(clip.weights))
    options = ExportOptions(name=output.name.split(".")[0] or "voxrig",
                            unity_path=args.unity_path, sound_file=clip.meta.get("source"))
    export(clip, output, kind, options)
    if not args.quiet:
        _say(f"wrote {output}: {_written(clip, kind)}, {clip.duration:.1f} s, from {source}")
    return EXIT_OK


def _check_overwrite(output: Path, kind: str, force: bool) -> None:
    """Never replace a file voxrig did not write unless the user says so."""
    if (output.exists() and not force and not is_voxrig_output(output)
            and not written_by_voxrig(output, kind)):
        raise VoxrigError(
            f"{str(output)!r} exists and was not written by voxrig; "
            "choose another -o or pass --force to overwrite it"
        )


def _run_demo(args: argparse.Namespace) -> int:
    out_dir = Path(args.out)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise VoxrigError(f"cannot create folder {str(out_dir)!r}: {exc.strerror}") from None
    transcript = SAMPLE_TEXT.read_text(encoding="utf-8").strip()
    config = Config(fps=30.0, visemes=True, keypoints=True)
    started = time.monotonic()
    clip = bake(SAMPLE_AUDIO, transcript, config)
    elapsed = time.monotonic() - started
    json_path = out_dir / (SAMPLE_AUDIO.stem + ".voxrig.json")
    csv_path = out_dir / (SAMPLE_AUDIO.stem + ".voxrig.csv")
    save_clip(clip, json_path)
    save_clip(clip, csv_path)

    mouth = summarise_mouth(clip)
    print(f"voxrig demo: {SAMPLE_AUDIO.name} (LJSpeech, public domain)")
    print(f'  transcript  "{transcript}"')
    print(f"  audio       {clip.duration:.2f} s")
    print(f"  phones      {len(clip.meta['phones'])} ({clip.meta['phone_source']})")
    print(f"  clip        {clip.fps:g} fps, {clip.frame_count} frames, {_describe(clip)}")
    print(f"  mouth       {mouth.closures} closures (lips together), {mouth.opens} opens "
          f"(gap >= 6 mm), widest {mouth.max_gap_mm:.1f} mm")
    print(f"  lip gap     |{sparkline(mouth.gap_mm)}|")
    print(f"  baked in    {elapsed:.2f} s ({clip.duration / max(elapsed, 1e-9):.0f}x real time)")
    # The same line heard without its transcript: the neural engine, as `voxrig bake` and
    # `voxrig stream` run it when no text is given.
    started = time.monotonic()
    heard = bake(SAMPLE_AUDIO, None, Config(fps=30.0, keypoints=True, engine="neural"))
    neural_elapsed = time.monotonic() - started
    neural_path = out_dir / (SAMPLE_AUDIO.stem + ".neural.voxrig.json")
    save_clip(heard, neural_path)
    alone = summarise_mouth(heard)
    print(f"  no text     neural engine: {alone.closures} closures, {alone.opens} opens, "
          f"baked in {neural_elapsed:.2f} s ({heard.duration / max(neural_elapsed, 1e-9):.0f}x)")
    print(f"  lip gap     |{sparkline(alone.gap_mm)}|")
    video_line = _render_demo(clip, out_dir / (SAMPLE_AUDIO.stem + ".render.mp4"))
    print(f"  wrote       {json_path}")
    print(f"              {csv_path}")
    print(f"              {neural_path}")
    print(f"              {video_line}")
    _print_warnings(clip)
    return EXIT_OK


def _render_demo(clip: Clip, video_path: Path) -> str:
    """The demo face saying the baked line, as `voxrig render` would; without the render
    extra, the line that says how to get it (the bake itself needs nothing more)."""
    started = time.monotonic()
    try:
        dubbed = render_command.render_demo(clip, SAMPLE_AUDIO, video_path)
    except VoxrigError as exc:
        if str(exc) != MISSING_FFMPEG:
            raise
        return f"(no video: {MISSING_FFMPEG}, then run voxrig demo again)"
    return (f"{video_path} (the bundled GRID s1 face says it: {dubbed.count} frames, "
            f"rendered in {time.monotonic() - started:.1f} s)")


def _run_plot(args: argparse.Namespace) -> int:
    from .plot import save_plot

    source = Path(args.clip)
    output = Path(args.output) if args.output else source.with_suffix(".png")
    channels = [c.strip() for c in args.channels.split(",") if c.strip()] if args.channels \
        else None
    save_plot(load_clip(source), output, channels)
    _say(f"wrote {output}")
    return EXIT_OK


def _format_table() -> str:
    return "\n".join(f"  {e.name:<12} {', '.join('.' + x for x in e.extensions):<14} "
                     f"{e.description}" for e in EXPORTERS.values())


def _default_output(audio: Path) -> Path:
    return audio.with_name(audio.stem + ".voxrig.json")


def _describe(clip: Clip) -> str:
    parts = [f"{len(clip.channels)} ARKit channels"]
    if clip.visemes is not None:
        parts.append(f"{clip.visemes.shape[1]} visemes")
    if clip.keypoints is not None:
        parts.append("68 keypoints")
    return " + ".join(parts)


def _written(clip: Clip, kind: str) -> str:
    """What a file of format `kind` made from `clip` holds, for the success line."""
    if kind in ("rhubarb", "rhubarb-tsv"):
        return f"{len(centisecond_cues(clip))} Rhubarb mouth cues (A-H, X)"
    if kind == "moho":
        switches = len(moho.write(clip, ExportOptions()).splitlines()) - 1
        return f"{switches} Moho mouth switches (Preston Blair) at {clip.fps:g} fps"
    if kind == "visemes":
        assert clip.visemes is not None
        return (f"OVR-15 visemes ({clip.visemes.shape[1]} weights per frame, "
                f"{clip.frame_count} frames at {clip.fps:g} fps)")
    return _describe(clip)


def _print_warnings(clip: Clip) -> None:
    for warning in clip.meta.get("warnings", []):
        _say(f"voxrig: warning: {warning}")


def _say(line: str) -> None:
    print(line, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
