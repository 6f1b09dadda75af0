"""`voxrig batch INPUT -o OUTDIR`: the command line of bridge/batch.py."""

from __future__ import annotations

import argparse
import sys

from voxrig.core.errors import VoxrigError

from .bake_config import add_bake_options, config_from_args
from .batch import FAILED_NAME, LineOptions, run
from .exporters import EXPORTERS
from .exporters.options import DEFAULT_UNITY_PATH

EXIT_OK = 0
EXIT_FAILED_LINES = 1  # some lines failed (each one is in OUTDIR/failed.jsonl)

EXAMPLES = """examples:
  voxrig batch lines/ -o baked/                 # every audio file, <stem>.txt transcripts
  voxrig batch lines.jsonl -o baked/ --workers 4
  voxrig batch lines.csv -o baked/ --format unity --fps 60
  voxrig batch lines/ -o baked/ --dask tcp://scheduler:8786
  voxrig batch lines/ -o baked/ --dask tcp://scheduler:8786 --send-audio   # no shared disk
  voxrig batch lines/ -o baked/ --overwrite-edited   # re-bake outputs edited by hand too

A manifest line (.jsonl object or .csv row) has: audio, and optionally transcript (text),
text (a transcript file), output (name in OUTDIR) and any option below by its name (fps,
engine, format, visemes, keypoints, strength, emotion, idle, listen, language, unity_path).
See docs/batch.md.
"""

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="a folder of audio files, or a .jsonl / .csv manifest")
    parser.add_argument("-o", "--output", metavar="OUTDIR", required=True,
                        help="folder for the outputs and the batch index")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="worker processes (default: the number of CPU cores)")
    parser.add_argument("--dask", metavar="ADDRESS|local",
                        help="run on a Dask cluster (tcp://host:8786), or 'local' for a "
                        "LocalCluster of 2 workers (needs pip install 'voxrig[batch]')")
    parser.add_argument("--send-audio", action="store_true",
                        help="with --dask: send each line's audio bytes with its task, for "
                        "workers that cannot read this machine's files")
    parser.add_argument("--overwrite-edited", action="store_true",
                        help="re-bake outputs that were edited by hand (kept by default)")
    parser.add_argument("--format", choices=list(EXPORTERS), default="json", metavar="NAME",
                        help="output format of every line (default json)")
    add_bake_options(parser)
    parser.add_argument("--unity-path", default=DEFAULT_UNITY_PATH, metavar="PATH",
                        help=f"Unity .anim renderer path (default {DEFAULT_UNITY_PATH!r})")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the summary")


def run_command(args: argparse.Namespace) -> int:
    if args.send_audio and not args.dask:
        raise VoxrigError("--send-audio is for --dask workers; local workers read the files")
    config_from_args(args, args.format)  # a bad --emotion file fails once, before any line
    defaults = LineOptions(fps=args.fps, engine=args.engine, format=args.format,
                           visemes=args.visemes, keypoints=args.keypoints,
                           strength=args.strength, emotion=args.emotion, idle=args.idle,
                           listen=args.listen, language=args.language,
                           heard_phones=args.heard_phones,
                           unity_path=args.unity_path)
    summary = run(args.input, args.output, workers=args.workers,
                  overwrite_edited=args.overwrite_edited, defaults=defaults,
                  progress=not args.quiet, dask=args.dask,
                  send_audio=args.send_audio)
    if not args.quiet:
        for output, error in summary.failed.items():
            print(f"voxrig: failed: {output}: {error}", file=sys.stderr)
        for output in summary.kept:
            print(f"voxrig: kept {output}: edited by hand (--overwrite-edited re-bakes it)",
                  file=sys.stderr)
    tail = f" (see {args.output}/{FAILED_NAME})" if summary.failed else ""
    print(f"voxrig batch: {summary.line()}{tail}", file=sys.stderr)
    return EXIT_FAILED_LINES if summary.failed else EXIT_OK
