"""S3's phones for the GRID s1 clips (issue 17): each clip's audio aligned to the words of its
GRID .align file by voxrig's aligner, as `voxrig render --text` aligns a transcript, so the
generator learns from the phones it will be given (core/face_phones.py).

    .venv/bin/python -m training.face.phones   # -> build/face/phones.json (about 3 min)

A clip whose transcript voxrig does not align (it falls back to recognition) gets none, as
render would give it none."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bench.face_tracks import CLIPS, LANDMARKS, load_landmarks
from bench.render_quality import AUDIO_RATE, grid_transcripts, read_audio
from voxrig.core.align import align
from voxrig.core.audio import audio_from_array
from voxrig.core.face_phones import TimedPhone

PHONES = LANDMARKS.parent / "phones.json"


def aligned(clip_id: str, transcript: str) -> list[TimedPhone] | None:
    timeline = align(audio_from_array(read_audio(CLIPS / f"{clip_id}.mp4"), AUDIO_RATE),
                     transcript)
    if timeline.source != "forced":
        return None
    return [(p.label, round(p.start, 3), round(p.end, 3)) for p in timeline.phones]


def load_phones(path: Path = PHONES) -> dict[str, list[TimedPhone] | None]:
    return {k: None if v is None else [tuple(p) for p in v]
            for k, v in json.loads(path.read_text()).items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", type=Path, default=PHONES)
    args = parser.parse_args(argv)
    ids = load_landmarks(LANDMARKS)[0]
    t0 = time.perf_counter()
    out = {c: aligned(c, t) for c, t in grid_transcripts(ids).items()}
    args.output.write_text(json.dumps(out))
    missing = sum(v is None for v in out.values())
    print(f"{len(out)} clips aligned in {time.perf_counter() - t0:.0f} s; {missing} fell back")
    return 0


if __name__ == "__main__":
    sys.exit(main())
