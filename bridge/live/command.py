"""`voxrig stream`: its options and what it does. Only argparse and the engines' names
(core/engines, light) are imported here, so the CLI starts fast; the engine, the network and
the sound card load when the command runs."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from voxrig.core.engines import STREAMING

from ..argtypes import number_in

if TYPE_CHECKING:  # the CLI starts without them; they load when the command runs
    from voxrig.core.emotion.tags import Segment, Tag
    from voxrig.core.live_face import LiveFace

EXAMPLES = """examples:
  voxrig stream --input line.wav                        # VMC to 127.0.0.1:39539, 60 fps
  voxrig stream --input line.wav --play --protocol vrchat
  voxrig stream --mic --protocol livelink --host 192.168.1.20
  voxrig stream --mic --device 2 --protocol generic --port 8000 --names pascal
  voxrig stream --input line.wav --names my-avatar.json  # a voxrig.mapping file
  voxrig stream --mic --engine phonetic                 # recognised phones, not the model
  tts.py | voxrig stream --mic --text-feed -            # each line's emotion as it is spoken
  voxrig stream --mic --listen                          # nods and smiles, lips still
  voxrig stream --list-devices
"""
PROTOCOL_NAMES = ("vmc", "vrchat", "generic", "livelink")


def _device(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--input", metavar="FILE",
                        help="stream an audio file, paced as if it were live")
    source.add_argument("--mic", action="store_true", help="stream the microphone")
    source.add_argument("--list-devices", action="store_true",
                        help="list the sound devices and exit")
    parser.add_argument("--device", type=_device, metavar="N",
                        help="sound device number or name (--mic input, --play output)")
    parser.add_argument("--play", action="store_true",
                        help="also play the --input file through the sound card")
    parser.add_argument("--protocol", choices=PROTOCOL_NAMES, default="vmc",
                        help="vmc (VSeeFace, VNyan, Warudo, Unity), vrchat, generic OSC, or "
                        "livelink (Unreal Live Link Face); default vmc")
    parser.add_argument("--host", default="127.0.0.1",
                        help="receiver address (default 127.0.0.1: this machine only; "
                        "another machine's address is announced in one line)")
    parser.add_argument("--allow-broadcast", action="store_true",
                        help="allow a --host that is a broadcast (255.255.255.255, a "
                        "subnet's .255), multicast or unspecified (0.0.0.0, ::) address, "
                        "refused otherwise")
    parser.add_argument("--port", type=number_in(1, 65535, "port", int),
                        help="receiver port (default: vmc 39539, vrchat 9000, generic 8000, "
                        "livelink 11111)")
    parser.add_argument("--fps", type=number_in(1, 240, "frame rate", float), default=60.0,
                        help="frames per second sent (default 60)")
    parser.add_argument("--names", metavar="STYLE|FILE",
                        help="channel names: arkit, pascal, vrcft or a voxrig.mapping JSON "
                        "file (default: vrcft for vrchat, arkit otherwise)")
    parser.add_argument("--subject", default="voxrig",
                        help="Live Link subject name (livelink only; default voxrig)")
    parser.add_argument("--local-port", type=number_in(1, 65535, "port", int), metavar="N",
                        help="send from this local UDP port (default: any free port)")
    parser.add_argument("--speed", type=number_in(0.1, 100, "speed", float), default=1.0,
                        help="--input only: pace the file this many times faster than real "
                        "time (tests and previews; default 1)")
    parser.add_argument("--engine", choices=("auto", *STREAMING), default="auto",
                        help="neural (the audio-to-face model, ~0.11 s look-ahead) or phonetic "
                        "(recognised phones over a sliding window); auto = neural")
    parser.add_argument("--idle", choices=("on", "off"), default="on",
                        help="blinks, gaze, head motion and breaths, as bake's (default on)")
    parser.add_argument("--emotion", default="auto", metavar="auto|none|TAG|FILE",
                        help="expression: auto (from --text-feed lines, its intensity from "
                        "the voice), none, a tag such as happy or angry:0.6 held throughout, "
                        "or a voxrig.emotion timeline file in stream time (default auto)")
    parser.add_argument("--listen", action="store_true",
                        help="listening mode: the avatar listens to the audio (nods, smiles at "
                        "positive --text-feed lines, brows at questions, gaze) with its lips "
                        "still, as bake's --listen")
    parser.add_argument("--text-feed", metavar="FILE|-",
                        help="lines of dialogue as they are spoken (a file, a named pipe or - "
                        "for standard input): each line's emotion shows from the next speech "
                        "onset after it arrives")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")


def run(args: argparse.Namespace) -> int:
    from voxrig.core.errors import VoxrigError

    if args.list_devices:
        from .sources import list_devices

        print(list_devices())
        return 0
    if not args.input and not args.mic:
        raise VoxrigError("say what to stream: --input FILE or --mic (or --list-devices)")
    if args.play and not args.input:
        raise VoxrigError("--play needs --input FILE")
    if args.speed != 1.0 and not args.input:
        raise VoxrigError("--speed needs --input FILE")
    if args.protocol == "livelink" and args.names:
        raise VoxrigError("--names does not apply to livelink (Live Link sends the 61 values "
                          "by position)")
    if args.text_feed:
        from .text_feed import check_feed

        check_feed(args.text_feed)
    return _stream(args, _face(args))


def _face(args: argparse.Namespace) -> LiveFace:
    """The stream's layers: expression (bake's --emotion values, or a tag), then blinks,
    gaze and head motion. A bad tag or timeline file fails here, before streaming."""
    from voxrig.core.config import EmotionConfig, IdleConfig
    from voxrig.core.live_face import listener_face, speaker_face

    if args.listen:
        return listener_face(IdleConfig(listen=True))
    mode = "none" if args.emotion == "none" else "auto"
    tag, timeline = _emotion_setting(args.emotion)
    return speaker_face(EmotionConfig(mode=mode), IdleConfig(enabled=args.idle == "on"),
                        timeline, tag)


def _emotion_setting(value: str) -> tuple[Tag | None, list[Segment] | None]:
    """(tag, timeline) of an --emotion value: auto and none set neither; `happy` or
    `angry:0.6` is a tag (the transcript's inline tag syntax, parsed by its parser); anything
    else is a timeline file, loaded as bake loads it."""
    import re
    from pathlib import Path

    from voxrig.core.emotion.tags import load_timeline, parse_tags
    from voxrig.core.emotion.text import EMOTIONS
    from voxrig.core.errors import VoxrigError

    if value in ("auto", "none"):
        return None, None
    if re.fullmatch(r"[A-Za-z]+(:[0-9.]+)?", value) and not Path(value).exists():
        text, tags = parse_tags(f"[{value}]")
        if text or not tags:
            raise VoxrigError(f"--emotion {value!r} is not an emotion (use auto, none, one of "
                              f"{', '.join(EMOTIONS)}, NAME:0.6, or a voxrig.emotion file)")
        return tags[0], None
    return None, load_timeline(value)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _stream(args: argparse.Namespace, face: LiveFace) -> int:
    """Stream with `face` (a LiveFace) on the engine's frames."""
    from voxrig.core.channel_names import resolve_names

    from .protocols import PROTOCOLS, Encoder
    from .sender import UdpSender, shown
    from .session import output_delay, run_session
    from .sources import FileSource, MicSource
    from .worker import EngineProcess

    protocol = PROTOCOLS[args.protocol]
    port = args.port or protocol.port
    names = resolve_names(args.names or protocol.names)
    encoder = Encoder(args.protocol, names, args.fps, args.subject)
    report = (lambda line: None) if args.quiet else (lambda line: _say(f"voxrig: warning: {line}"))
    sender = UdpSender(args.host, port, args.local_port, report=report,
                       allow_broadcast=args.allow_broadcast)
    if sender.leaves_this_machine and not args.quiet:
        _say(_where(args.host, shown(sender.ip), port, args.protocol))
    # The engine process is forked before the sound card library is loaded (PortAudio may
    # start threads of its own, which a fork should not copy).
    kind = "neural" if args.engine == "auto" else args.engine
    engine = EngineProcess(args.fps, engine=kind)
    try:
        if args.input:
            source: FileSource | MicSource = FileSource(args.input, args.speed, args.play,
                                                        args.device)
            what = f"{args.input} ({source.duration:.1f} s)"
        else:
            source = MicSource(args.device)
            what = "the microphone" + (f" (device {args.device})" if args.device is not None
                                       else "")
        for warning in source.warnings:
            report(warning)
        if not args.quiet:
            channels = 61 if args.protocol == "livelink" else len(names.sent())
            _say(f"voxrig: streaming {what} as {args.protocol} to {args.host}:{port}, "
                 f"{args.fps:g} fps, {channels} values per frame, "
                 f"{output_delay(engine, args.speed) * 1000:.0f} ms behind the audio "
                 f"({kind} engine); Ctrl-C stops")
        feed = None
        if args.text_feed:
            from .text_feed import TextFeed

            feed = TextFeed(args.text_feed, face.say)
            feed.start()
        result = run_session(source, engine, encoder, sender, speed=args.speed, living=face)
        if feed is not None and feed.error:
            report(f"the text feed {args.text_feed!r} stopped: {feed.error}")
        if not args.quiet:  # before the engine process is shut down: the user waits
            _say(_summary(result))
        if args.speed > 1.0 and result.counters.dropped:
            report(_too_fast(args.speed, kind, result))
    finally:
        engine.close()
        sender.close()
    return 0


def _where(host: str, ip: str, port: int, protocol: str) -> str:
    """The notice for frames sent to a network address: to where, and how."""
    to = host if host.strip("[]") == ip.strip("[]") else f"{host} ({ip})"
    return (f"voxrig: notice: sending {protocol} frames over UDP to {to} port {port}: a "
            "network address, not this machine only (unencrypted)")


def _too_fast(speed: float, kind: str, result) -> str:
    """Why frames were late at --speed: the engine is slower than the pace asked for."""
    total = result.counters.sent + result.counters.dropped
    return (f"--speed {speed:g} is faster than the {kind} engine runs here "
            f"({result.engine_speed:.1f}x real time): {result.counters.dropped} of {total} "
            f"frames were ready too late and were dropped; a lower --speed sends them all")


def _summary(result) -> str:
    c = result.counters
    how = "stopped" if result.stopped else "done"
    cpu = result.cpu_seconds / max(result.wall_seconds, 1e-9)
    return (f"voxrig: {how}: sent {c.sent} frames, dropped {c.dropped} late, {c.failed} refused "
            f"by the network; {result.audio_seconds:.1f} s of audio in "
            f"{result.wall_seconds:.1f} s, CPU {cpu:.0%} (sender; the engine runs apart)")
