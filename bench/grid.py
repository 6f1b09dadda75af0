"""`python -m bench --only grid`: lip motion against a real English speaker on video.

GRID s1 (../shared/data/video/grid-s1, CC BY 4.0: Cooke, Barker, Cunningham & Shao, JASA
120(5), 2006; doi:10.5281/zenodo.3625687) is 800 clips of one man saying six-word commands.
His lips were tracked once with MediaPipe FaceMesh (bench/grid_track.py ->
bench/data/grid_s1_lips.npz): inner-lip gap and mouth-corner width over the eye-corner
distance, 25 fps. Those are the ground truth here (DESIGN.md "Quality metrics"): per clip,
r_gap = Pearson r of the rig lip gap (bench.metrics.mouth_curves, 100 Hz) and the tracked gap
upsampled linearly to 100 Hz; r_width likewise; averaged over the clips of the validation
split (bench/data/grid_s1_split.json, 160 clips never trained on).

Audio is taken from each mp4 with imageio-ffmpeg into build/grid-audio/ (16 kHz mono wav,
not committed). Results go to bench/grid_results/<date>-<sha>.json; the change from the
previous committed results file is printed. `grid_targets(split)` gives the same clips to
training code."""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from voxrig.core.config import ANALYSIS_RATE as AUDIO_RATE
from voxrig.core.names import ARKIT52

from . import datasets, metrics
from .grid_track import CLIP_FRAMES, VIDEO_FPS, LipTracks, load_tracks

SPLIT = Path(__file__).parent / "data" / "grid_s1_split.json"
RESULTS_DIR = Path(__file__).parent / "grid_results"
AUDIO_CACHE = datasets.REPO_ROOT / "build" / "grid-audio"
ALIGN_UNITS = 1000.0 * VIDEO_FPS  # .align times are 1/1000 of a video frame
PAUSES = frozenset(["sil", "sp"])

SPLIT_SEED = 14  # the issue that asked for the split
VALIDATION_SIZE = 160
# 10 of the 800 videos start with 12 broken frames (grey, blocky: the lead-in silence), and
# those are exactly the clips whose first frame shows FaceMesh no face; in the frames of that
# stretch where it does find one, the lips it reports are wrong. So a clip without a face in
# frame 0 loses its first BROKEN_LEAD frames, and a clip left with fewer than MIN_TRACKED of
# its frames is no target (pbio7a, in train, stays broken throughout: 52 % found).
BROKEN_LEAD = 12
MIN_TRACKED = 0.8

# the loudness-driven jaw baseline
LOUD_WINDOW = 0.025  # s, RMS window
LOUD_HOP = 0.010  # s
LOUD_RANGE_DB = 30.0  # a frame this far below the clip's loudest frame is a shut jaw
LOUD_JAW_MAX = 0.35  # jawOpen at the clip's loudest frame (0.16 opens the rig's lips 6 mm)


def clips_dir() -> Path:
    return datasets.data_root() / "video" / "grid-s1" / "clips"


# ---------------------------------------------------------------------------------------------
# The data: word timings, the split, audio, training targets


@dataclass(frozen=True)
class AlignedWord:
    start: float  # s
    end: float  # s
    word: str  # "sil" / "sp" for pauses


def read_align(path: Path) -> list[AlignedWord]:
    """A GRID .align file: `start end word` per line, times in 1/1000 of a 25 fps frame."""
    out = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        parts = line.split()
        if len(parts) == 3:
            out.append(AlignedWord(int(parts[0]) / ALIGN_UNITS, int(parts[1]) / ALIGN_UNITS,
                                   parts[2]))
    return out


def transcript_of(words: list[AlignedWord]) -> str:
    """The spoken words (pauses dropped): what a user would type as the transcript."""
    return " ".join(w.word for w in words if w.word not in PAUSES)


def command_word(clip_id: str, clips: Path | None = None) -> str:
    """The clip's first spoken word (bin / lay / place / set), the split's stratum."""
    return transcript_of(read_align((clips or clips_dir()) / f"{clip_id}.align")).split()[0]


def make_split(ids: list[str], strata: list[str], seed: int = SPLIT_SEED,
               size: int = VALIDATION_SIZE) -> dict[str, list[str]]:
    """Held-out clips drawn per stratum (the command word) in proportion to its share, so the
    validation set says every command as often as the whole set does. Seeded, so anyone
    regenerates the same split from the same clips; both lists sorted."""
    if len(ids) != len(strata) or len(set(ids)) != len(ids):
        raise ValueError("ids must be unique and have one stratum each")
    rng = np.random.default_rng(seed)
    groups: dict[str, list[str]] = {}
    for clip_id, stratum in sorted(zip(ids, strata, strict=True)):
        groups.setdefault(stratum, []).append(clip_id)
    names = sorted(groups)
    exact = [size * len(groups[g]) / len(ids) for g in names]
    quota = [math.floor(q) for q in exact]
    for k in sorted(range(len(names)), key=lambda k: quota[k] - exact[k])[: size - sum(quota)]:
        quota[k] += 1  # largest remainders get the clips the floors left over
    validation = []
    for name, take in zip(names, quota, strict=True):
        members = groups[name]
        validation += [members[i] for i in rng.permutation(len(members))[:take]]
    held = set(validation)
    return {"validation": sorted(held), "train": sorted(set(ids) - held)}


def read_split(path: Path = SPLIT) -> dict[str, list[str]]:
    return json.loads(path.read_text(encoding="utf-8"))


def write_split(path: Path = SPLIT) -> dict[str, list[str]]:
    """(Re)make the committed split from the clips on disk."""
    ids = sorted(p.stem for p in clips_dir().glob("*.mp4"))
    split = make_split(ids, [command_word(i) for i in ids])
    payload = {"seed": SPLIT_SEED, "stratified_by": "command word (first word of the .align)",
               **split}
    path.write_text(json.dumps(payload, indent=0) + "\n", encoding="utf-8")
    return split


def extract_audio(clip_id: str, cache: Path = AUDIO_CACHE) -> Path:
    """The clip's sound as 16 kHz mono wav, extracted once into `cache`."""
    out = cache / f"{clip_id}.wav"
    if out.exists():
        return out
    try:
        import imageio_ffmpeg
    except ImportError as exc:
        raise RuntimeError("extracting GRID audio needs imageio-ffmpeg: "
                           "pip install -e '.[bench]'") from exc
    cache.mkdir(parents=True, exist_ok=True)
    part = out.with_suffix(".part.wav")
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i",
                    str(clips_dir() / f"{clip_id}.mp4"), "-vn", "-ac", "1", "-ar",
                    str(AUDIO_RATE), "-c:a", "pcm_s16le", str(part)], check=True)
    part.replace(out)
    return out


@dataclass(frozen=True)
class GridTarget:
    """One clip's audio and its speaker's tracked lips (25 fps, NaN where no face)."""

    clip_id: str
    gap: np.ndarray  # (CLIP_FRAMES,) inner-lip gap / eye-corner distance
    width: np.ndarray  # (CLIP_FRAMES,) mouth-corner width / eye-corner distance
    words: list[AlignedWord]
    fps: float = VIDEO_FPS

    @property
    def audio(self) -> Path:
        """The 16 kHz mono wav, extracted from the video on first use."""
        return extract_audio(self.clip_id)

    @property
    def transcript(self) -> str:
        return transcript_of(self.words)


def clean_track(track: np.ndarray) -> np.ndarray:
    """A tracked curve with its broken lead-in blanked (NaN), see BROKEN_LEAD."""
    out = np.array(track, dtype=np.float32)
    if out.size and not np.isfinite(out[0]):
        out[:BROKEN_LEAD] = np.nan
    return out


def grid_targets(split: str, limit: int | None = None,
                 tracks: LipTracks | None = None) -> list[GridTarget]:
    """The clips of one split ("train" or "validation") with real lip targets, for training
    and for this bench; clips whose face was found in fewer than MIN_TRACKED of the frames
    are left out; a clip's audio is extracted when it is first asked for."""
    names = read_split()
    if split not in ("train", "validation"):
        raise ValueError(f"split must be 'train' or 'validation', not {split!r}")
    tracks = tracks or load_tracks()
    out = []
    for clip_id in names[split][:limit]:
        k = tracks.index(clip_id)
        gap, width = clean_track(tracks.gap[k]), clean_track(tracks.width[k])
        if np.isfinite(gap).mean() < MIN_TRACKED:
            continue
        out.append(GridTarget(clip_id, gap, width,
                              read_align(clips_dir() / f"{clip_id}.align")))
    return out


# ---------------------------------------------------------------------------------------------
# The metric


def upsample(track: np.ndarray, n: int, fps: float = VIDEO_FPS) -> np.ndarray:
    """25 fps track -> n samples at metrics.RATE, linearly; missing frames inside are bridged
    from their neighbours, samples before the first / after the last tracked frame are NaN
    (not judged)."""
    t = np.arange(track.shape[0]) / fps
    ok = np.isfinite(track)
    dense = np.arange(n) / metrics.RATE
    out = np.interp(dense, t[ok], track[ok])
    out[(dense < t[ok][0] - 1e-9) | (dense > t[ok][-1] + 1e-9)] = np.nan
    return out


@dataclass(frozen=True)
class ClipScore:
    r_gap: float
    r_width: float
    lag: float  # s, best lag of the gap; positive = prediction late


def score_clip(weights: np.ndarray, fps: float, gap: np.ndarray, width: np.ndarray) -> ClipScore:
    """r of the rig's lip gap / width against the tracked ones over the video's duration."""
    duration = (CLIP_FRAMES - 1) / VIDEO_FPS
    curves = metrics.mouth_curves(weights, fps, duration)
    n = curves.gap.shape[0]
    true_gap, true_width = upsample(gap, n), upsample(width, n)
    judged = np.isfinite(true_gap) & np.isfinite(true_width)  # one tracked span
    pred_gap, true_gap = curves.gap[judged], true_gap[judged]
    return ClipScore(metrics.pearson(pred_gap, true_gap),
                     metrics.pearson(curves.width[judged], true_width[judged]),
                     metrics.best_lag(pred_gap, true_gap))


# ---------------------------------------------------------------------------------------------
# Systems


@dataclass(frozen=True)
class Output:
    weights: np.ndarray  # (T, 52) ARKit
    fps: float
    meta: dict


Predict = Callable[[Path, str], Output]


def _voxrig(engine: str, with_transcript: bool) -> Predict:
    def predict(audio: Path, transcript: str) -> Output:
        from voxrig.core.bake import bake
        from voxrig.core.config import Config

        clip = bake(audio, transcript=transcript if with_transcript else None,
                    config=Config(engine=engine))
        return Output(metrics.arkit_weights(clip), clip.fps, clip.meta)

    return predict


def loudness_jaw(samples: np.ndarray, rate: int = AUDIO_RATE) -> tuple[np.ndarray, float]:
    """The simplest audio-driven mouth: jawOpen follows the frame RMS in dB, 0 at
    LOUD_RANGE_DB below the clip's loudest frame, LOUD_JAW_MAX at it (100 Hz)."""
    win, hop = int(LOUD_WINDOW * rate), int(LOUD_HOP * rate)
    padded = np.pad(np.asarray(samples, dtype=np.float64), (win // 2, win // 2))
    count = 1 + max(0, (padded.shape[0] - win) // hop)
    frames = np.lib.stride_tricks.sliding_window_view(padded, win)[::hop][:count]
    db = 10.0 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    level = np.clip(1.0 + (db - db.max()) / LOUD_RANGE_DB, 0.0, 1.0)
    weights = np.zeros((count, 52), dtype=np.float32)
    weights[:, ARKIT52.index("jawOpen")] = LOUD_JAW_MAX * level
    return weights, 1.0 / LOUD_HOP


def _loudness(audio: Path, transcript: str) -> Output:
    samples, rate = sf.read(str(audio), dtype="float32", always_2d=True)
    weights, fps = loudness_jaw(samples.mean(axis=1), rate)
    return Output(weights, fps, {})


def _still(audio: Path, transcript: str) -> Output:
    from .systems import still_mouth

    weights, fps = still_mouth(audio, None)
    return Output(weights, fps, {})


SYSTEMS: tuple[tuple[str, Predict], ...] = (
    ("voxrig neural, no transcript", _voxrig("neural", False)),
    ("voxrig + transcript", _voxrig("auto", True)),
    ("voxrig neural + transcript", _voxrig("neural", True)),
    ("voxrig phonetic, no transcript", _voxrig("phonetic", False)),
    ("loudness jaw (baseline)", _loudness),
    ("still mouth (baseline)", _still),
)


def run_system(predict: Predict, targets: list[GridTarget]) -> dict:
    """Mean and spread of r over the clips, best lag, alignment fallbacks, time per clip."""
    scores, sources, warned = [], Counter(), 0
    seconds = 0.0
    for target in targets:
        t0 = time.perf_counter()
        out = predict(target.audio, target.transcript)
        seconds += time.perf_counter() - t0
        scores.append(score_clip(out.weights, out.fps, target.gap, target.width))
        if "phone_source" in out.meta:
            sources[out.meta["phone_source"]] += 1
        warned += bool(out.meta.get("warnings"))
    r_gap = np.array([s.r_gap for s in scores])
    r_width = np.array([s.r_width for s in scores])
    lags = np.array([s.lag for s in scores])
    return {
        "clips": len(scores),
        "r_gap": round(float(r_gap.mean()), 4),
        "r_gap_min": round(float(r_gap.min()), 4),
        "r_gap_p10": round(float(np.percentile(r_gap, 10)), 4),
        "r_gap_median": round(float(np.median(r_gap)), 4),
        "r_width": round(float(r_width.mean()), 4),
        "r_width_min": round(float(r_width.min()), 4),
        "r_width_p10": round(float(np.percentile(r_width, 10)), 4),
        "lag_median": round(float(np.median(lags)), 3),
        "lag_mean": round(float(lags.mean()), 3),
        "phone_sources": dict(sources),
        "clips_with_warnings": warned,
        "seconds_per_clip": round(seconds / max(len(scores), 1), 3),
        "per_clip_r_gap": [round(float(r), 4) for r in r_gap],
    }


# ---------------------------------------------------------------------------------------------
# Report

COLUMNS = (("r_gap", 3), ("r_gap_min", 3), ("r_gap_p10", 3), ("r_width", 3), ("r_width_p10", 3),
           ("lag_median", 0), ("seconds_per_clip", 3))
TITLES = {"r_gap": "r_gap", "r_gap_min": "min", "r_gap_p10": "p10", "r_width": "r_width",
          "r_width_p10": "p10", "lag_median": "lag ms", "seconds_per_clip": "s/clip"}


def _cell(row: dict, key: str, digits: int) -> str:
    if key not in row:
        return "-"
    value = row[key] * (1000.0 if key.startswith("lag") else 1.0)
    return f"{value:.{digits}f}"


def _fallbacks(row: dict) -> str:
    sources = row.get("phone_sources") or {}
    if not sources:
        return ""
    listed = ", ".join(f"{k} {v}" for k, v in sorted(sources.items()))
    return f"  phones: {listed}; warnings on {row.get('clips_with_warnings', 0)} clips"


def format_table(rows: dict[str, dict], clips: int) -> str:
    width = max(len(n) for n in rows) + 2
    head = "".ljust(width) + " ".join(TITLES[k].rjust(7) for k, _ in COLUMNS)
    lines = [f"GRID s1 validation split, {clips} clips: r vs the tracked lips (25 fps -> 100 Hz)",
             head, "-" * len(head)]
    notes = []
    for name, row in rows.items():
        if "error" in row:
            notes.append(f"  {name}: {row['error']}")
            continue
        lines.append(name.ljust(width) + " ".join(_cell(row, k, d).rjust(7) for k, d in COLUMNS)
                     + _fallbacks(row))
    if notes:
        lines += ["", "not measured:", *notes]
    return "\n".join(lines)


def format_diff(rows: dict[str, dict], previous: dict[str, dict], label: str) -> str:
    lines = [f"change from {label}:"]
    for name, row in rows.items():
        before = previous.get(name) or {}
        changes = [f"{TITLES[k]} {row[k] - before[k]:+.3f}" for k, _ in COLUMNS[:5]
                   if isinstance(row.get(k), float) and isinstance(before.get(k), float)
                   and abs(row[k] - before[k]) >= 0.0005]
        if before:
            lines.append(f"  {name}: " + (", ".join(changes) if changes else "no change"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from .results import git_sha, previous_results, results_path, stamped, write_results
    from .systems import first_line

    parser = argparse.ArgumentParser(prog="python -m bench --only grid", description=__doc__)
    parser.add_argument("--clips", type=int, default=None,
                        help="only the first N validation clips (printed, not saved)")
    parser.add_argument("--write-split", action="store_true",
                        help="remake bench/data/grid_s1_split.json from the clips and exit")
    args = parser.parse_args(argv)
    if args.write_split:
        split = write_split()
        print(f"wrote {SPLIT.name}: {len(split['validation'])} validation, "
              f"{len(split['train'])} train")
        return 0
    print("[bench] grid: extracting audio ...", file=sys.stderr, flush=True)
    targets = grid_targets("validation", args.clips)
    for target in targets:  # before any system is timed
        extract_audio(target.clip_id)
    rows: dict[str, dict] = {}
    for name, predict in SYSTEMS:
        print(f"[bench] grid: {name} ...", file=sys.stderr, flush=True)
        try:
            rows[name] = run_system(predict, targets)
        except Exception as exc:  # a failing system is reported in the table, not fatal
            rows[name] = {"error": first_line(exc)}
    print(format_table(rows, len(targets)))
    if args.clips is not None:
        return 0
    sha = git_sha()
    path = results_path(RESULTS_DIR, sha)
    previous = previous_results(path, RESULTS_DIR)
    if previous is not None:
        print()
        print(format_diff(rows, json.loads(previous.read_text()).get("rows", {}), previous.name))
    write_results(path, stamped(sha, split=SPLIT.name, clips=len(targets), rows=rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
