"""`python -m bench --only cues`: the 2D outputs (Rhubarb A-H/X cues, the Moho .dat made from
them, OVR-15 visemes, and so VRM A/I/U/E/O) judged with the event metric, next to the same
bake's ARKit curves, for every engine with and without a transcript.

A 2D animator swaps one drawing per cue, and an avatar driven by visemes blends one pose per
viseme, so each output is drawn the way it is used and the drawing is posed on the ICT rig:

- a Rhubarb cue is its shape's typical mouth (DRAWN_SHAPES: one ARKit pose per shape, held from
  the cue's start to its end, switched at once, at 100 Hz);
- OVR-15 visemes are the weighted sum of one typical pose per viseme (the phonetic animator's
  target of the phone the viseme is named after: VISEME_PHONE), frame by frame;
- the curves are the clip's own ARKit-52 weights.

Each is scored on the 4 English phone-tier clips (B/O/R/S, event). Also: cues per second of
speech (speech = the reference's non-silent phones) and the share of reference P/B/M (>= 30 ms,
as the B category counts them) that overlap an A cue. Results go to
bench/cues_results/<date>-<sha>.json."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from voxrig.bridge.exporters import ExportOptions, moho, rhubarb
from voxrig.core.animator.poses import POSES
from voxrig.core.clip import Clip
from voxrig.core.mouth_shapes import MouthCue
from voxrig.core.names import ARKIT52, ARKIT_INDEX, BILABIALS, OVR15, SILENCE
from voxrig.core.phones import Phone

from . import datasets, metrics

RESULTS_DIR = Path(__file__).parent / "cues_results"
DRAW_RATE = 100.0  # Hz at which cues are drawn (they switch at their start times)

# A typical drawing of each Rhubarb / Preston Blair shape as an ARKit pose on the ICT rig
# (lip gap / width in mm at rest: 0.76 / 50.70): A lips pressed together; B teeth nearly
# together (~2.6 mm); C open (~6 mm); D wide open (~11 mm); E slightly rounded and open; F
# puckered, nearly shut; G lower lip under the upper teeth; H open for the tongue (~4 mm);
# X the mouth at rest.
DRAWN_SHAPES: dict[str, dict[str, float]] = {
    "A": {"mouthClose": 0.2, "jawOpen": 0.05}, "B": {"jawOpen": 0.05},
    "C": {"jawOpen": 0.16}, "D": {"jawOpen": 0.3}, "E": {"jawOpen": 0.1, "mouthFunnel": 0.4},
    "F": {"mouthPucker": 0.8, "jawOpen": 0.03}, "G": {"mouthRollLower": 0.4},
    "H": {"jawOpen": 0.1}, "X": {},
}  # fmt: skip

# The phone whose target pose (voxrig.core.animator.poses.POSES) draws each OVR-15 viseme:
# the phone the viseme is named after.
VISEME_PHONE: dict[str, str] = {
    "sil": SILENCE, "PP": "P", "FF": "F", "TH": "TH", "DD": "D", "kk": "K", "CH": "CH",
    "SS": "S", "nn": "N", "RR": "R", "aa": "AA", "E": "EH", "ih": "IH", "oh": "OW", "ou": "UW",
}  # fmt: skip


def _pose_row(pose: dict[str, float]) -> np.ndarray:
    row = np.zeros(len(ARKIT52), np.float32)
    for name, value in pose.items():
        row[ARKIT_INDEX[name]] = value
    return row


def viseme_poses() -> np.ndarray:
    """(15, 52): the typical ARKit pose of each OVR-15 viseme, in OVR15 order."""
    return np.stack([_pose_row(POSES[VISEME_PHONE[v]]) for v in OVR15])


def draw_cues(cues: Sequence[MouthCue], duration: float) -> tuple[np.ndarray, float]:
    """Rhubarb cues as drawn mouths: ((N, 52) weights at DRAW_RATE, DRAW_RATE)."""
    times = np.arange(metrics.frames_for(duration, DRAW_RATE)) / DRAW_RATE
    out = np.zeros((len(times), len(ARKIT52)), np.float32)
    for cue in cues:
        frames = (times >= cue.start - 1e-9) & (times < cue.end - 1e-9)
        out[frames] = _pose_row(DRAWN_SHAPES[cue.shape])
    if cues:  # the end time itself shows the last cue
        out[-1] = _pose_row(DRAWN_SHAPES[cues[-1].shape])
    return out, DRAW_RATE


def draw_visemes(visemes: np.ndarray) -> np.ndarray:
    """(T, 15) OVR-15 weights -> (T, 52) ARKit weights: the weighted sum of the viseme poses."""
    return np.clip(np.asarray(visemes, np.float32) @ viseme_poses(), 0.0, 1.0)


def speech_seconds(phones: Sequence[Phone]) -> float:
    """Seconds of non-silent phones."""
    return float(sum(p.duration for p in phones if p.label != SILENCE))


def closures_with_a(cues: Sequence[MouthCue], phones: Sequence[Phone]) -> tuple[int, int]:
    """(reference P/B/M >= 30 ms overlapping an A cue, all such P/B/M), over the widened
    interval the B category judges ([start - 20 ms, end + 20 ms])."""
    closed = [(c.start, c.end) for c in cues if c.shape == "A"]
    hits = total = 0
    for p in phones:
        if p.label not in BILABIALS or p.duration + 1e-9 < 0.030:
            continue
        total += 1
        a, b = p.start - metrics.WIDEN, p.end + metrics.WIDEN
        hits += int(any(s < b and e > a for s, e in closed))
    return hits, total


def exported_cues(clip: Clip) -> list[MouthCue]:
    """The cues as the Rhubarb exporter writes them (centiseconds), as MouthCues."""
    return [MouthCue(a / 100.0, b / 100.0, shape)
            for a, b, shape in rhubarb.centisecond_cues(clip)]


def moho_cues(clip: Clip) -> list[MouthCue]:
    """The cues as the Moho .dat exporter writes them (switches on 1-based frames)."""
    back = {name: shape for shape, name in moho.PRESTON_BLAIR.items()}
    rows = [line.split() for line in moho.write(clip, ExportOptions()).decode()
            .splitlines()[1:]]
    starts = [((int(frame) - 1) / clip.fps, back[name]) for frame, name in rows]
    ends = [t for t, _ in starts[1:]] + [float(clip.duration)]
    return [MouthCue(t, max(t, e), shape) for (t, shape), e in zip(starts, ends, strict=True)]


OUTPUTS = ("curves", "cues", "moho", "visemes")


def clip_outputs(clip: Clip) -> dict[str, tuple[np.ndarray, float] | None]:
    """The drawings of one bake: curves, Rhubarb cues, Moho switches, visemes (None if the
    clip has none)."""
    duration = float(clip.duration)
    return {
        "curves": (metrics.arkit_weights(clip), clip.fps),
        "cues": draw_cues(exported_cues(clip), duration),
        "moho": draw_cues(moho_cues(clip), duration),
        "visemes": (draw_visemes(clip.visemes), clip.fps) if clip.visemes is not None
        else None,
    }


# (row name, engine, with the transcript)
SYSTEMS: tuple[tuple[str, str, bool], ...] = (
    ("neural, no transcript", "neural", False),
    ("neural + transcript", "neural", True),
    ("phonetic, no transcript", "phonetic", False),
    ("phonetic + transcript", "phonetic", True),
)


def bake_clip(audio: Path, transcript: str | None, engine: str) -> Clip:
    """A bake as `voxrig bake --visemes --engine ENGINE` makes it (emotion and idle on)."""
    from voxrig.core.bake import bake
    from voxrig.core.config import Config

    return bake(audio, transcript, Config(engine=engine, visemes=True))


def run_system(engine: str, with_transcript: bool,
               clips: Sequence[datasets.PhoneClip]) -> dict:
    """Event scores of each output, cue rate and A-at-closure share over the clips."""
    counts: dict[str, list] = {k: [] for k in OUTPUTS}
    cue_count, speech, a_hits, a_total = 0, 0.0, 0, 0
    t0 = time.perf_counter()
    per_clip = {}
    for ref in clips:
        clip = bake_clip(ref.audio, ref.transcript if with_transcript else None, engine)
        drawn = clip_outputs(clip)
        for key in OUTPUTS:
            if drawn[key] is not None:
                weights, fps = drawn[key]
                counts[key].append(metrics.event_counts(weights, fps, ref.phones))
        cues = exported_cues(clip)
        spoken = [c for c in cues if c.shape != "X"]
        hits, total = closures_with_a(cues, ref.phones)
        cue_count += len(cues)
        speech += speech_seconds(ref.phones)
        a_hits += hits
        a_total += total
        per_clip[ref.name] = {"cues": len(cues), "non_rest_cues": len(spoken),
                              "speech_seconds": round(speech_seconds(ref.phones), 2),
                              "shapes": "".join(sorted({c.shape for c in cues})),
                              "phone_source": clip.meta.get("phone_source")}
    out: dict = {}
    for key in OUTPUTS:
        if counts[key]:
            score = metrics.event_score(counts[key])
            out[key] = {k: round(v, 4) for k, v in score.as_dict().items()}
            out[key]["counts"] = {c: asdict(getattr(score.counts, c))
                                  for c in metrics.CATEGORIES}
        else:
            out[key] = None
    out["cues_per_speech_second"] = round(cue_count / max(speech, 1e-9), 2)
    out["closures_with_a"] = round(a_hits / max(a_total, 1), 4)
    out["closures"] = a_total
    out["per_clip"] = per_clip
    out["seconds"] = round(time.perf_counter() - t0, 2)
    return out


def format_table(rows: dict[str, dict]) -> str:
    """One line per system: event (B O R S) of curves, cues, Moho and visemes, then the
    cue rate and the share of closures with an A."""
    head = (f"{'':26}" + "".join(f"{k + ' event (B O R S)':>30}" for k in OUTPUTS)
            + f"{'cues/s':>8}{'P/B/M with A':>14}")
    lines = [head, "-" * len(head)]
    for name, row in rows.items():
        if "error" in row:
            lines.append(f"{name:26}not measured: {row['error']}")
            continue
        cells = []
        for key in OUTPUTS:
            s = row.get(key)
            cells.append(f"{s['event']:.3f} ({s['B']:.2f} {s['O']:.2f} {s['R']:.2f} "
                         f"{s['S']:.2f})" if s else "-")
        lines.append(f"{name:26}" + "".join(f"{c:>30}" for c in cells)
                     + f"{row['cues_per_speech_second']:>8.2f}"
                     + f"{row['closures_with_a']:>14.2f}")
    return "\n".join(lines)


def main() -> int:
    """Bake every clip with every engine, with and without its transcript; print the table
    and write the results file."""
    from .results import git_sha, results_path, stamped, write_results

    clips = datasets.english_phone_clips()
    rows: dict[str, dict] = {}
    for name, engine, with_transcript in SYSTEMS:
        print(f"[bench] cues: {name} ...", file=sys.stderr, flush=True)
        try:
            rows[name] = run_system(engine, with_transcript, clips)
        except Exception as exc:  # a failing system is reported in the table, not fatal
            rows[name] = {"error": f"{type(exc).__name__}: {exc}"[:160]}
    print(format_table(rows))
    sha = git_sha()
    payload = stamped(sha, clips=[c.name for c in clips], rows=rows)
    write_results(results_path(RESULTS_DIR, sha), payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
