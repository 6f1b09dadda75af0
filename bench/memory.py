"""Peak memory of `voxrig bake` and `voxrig export` on long inputs, measured as a user meets
them: the real CLI in a fresh process, its peak RSS, wall time and real-time factor. Issue 15
asks for a 2-hour bake under 400 MB whatever the engine.

The input is real speech (LJSpeech clips with pauses between them) repeated up to the length
asked for, written block by block as a 16 kHz FLAC under build/bench-memory (not committed)."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from voxrig.core.config import ANALYSIS_RATE as RATE

from .datasets import ljspeech_clips
from .results import BENCH, REPO, git_sha, previous_results, results_path, stamped, write_results
from .speed import measure, voxrig_command

RESULTS_DIR = BENCH / "memory_results"
WORK_DIR = REPO / "build" / "bench-memory"
PAUSES = (0.3, 0.8, 2.0)  # seconds of silence after each sentence, in turn
LONG_MINUTES = 120.0
TRANSCRIPT_MINUTES = 30.0  # the transcript case (forced alignment is the slow one)
EXPORTS = ("csv", "unity", "unreal", "gltf", "rhubarb", "rhubarb-tsv", "visemes", "moho")
SUFFIX = {"csv": ".csv", "unity": ".anim", "unreal": ".unreal.csv", "gltf": ".glb",
          "rhubarb": ".rhubarb.json", "rhubarb-tsv": ".tsv", "visemes": ".visemes.csv",
          "moho": ".dat"}


@dataclass(frozen=True)
class MemoryResult:
    case: str
    audio_seconds: float
    wall_seconds: float
    x_realtime: float
    peak_rss_mb: float
    output_mb: float
    exit_code: int
    error: str = ""


def build_long_input(minutes: float, folder: Path = WORK_DIR) -> tuple[Path, Path, float]:
    """`minutes` of speech as a FLAC and its transcript (reused when already made)."""
    folder.mkdir(parents=True, exist_ok=True)
    audio = folder / f"speech-{minutes:g}min.flac"
    text = audio.with_suffix(".txt")
    if audio.exists() and text.exists():
        return audio, text, sf.info(str(audio)).duration
    from voxrig.core.audio import load_audio

    clips = ljspeech_clips()[:40]
    sentences = [(load_audio(c.audio).samples, c.transcript) for c in clips]
    target, written, words = int(minutes * 60 * RATE), 0, []
    with sf.SoundFile(str(audio), "w", RATE, 1, subtype="PCM_16", format="FLAC") as out:
        i = 0
        while written < target:
            samples, transcript = sentences[i % len(sentences)]
            pause = np.zeros(int(PAUSES[i % len(PAUSES)] * RATE), np.float32)
            block = np.concatenate([samples, pause])[: target - written]
            out.write(block)
            written += len(block)
            words.append(transcript)
            i += 1
    text.write_text(" ".join(words) + "\n", encoding="utf-8")
    return audio, text, written / RATE


def _run(case: str, cmd: list[str], seconds: float, output: Path) -> MemoryResult:
    output.unlink(missing_ok=True)
    wall, rss, code, err = measure(cmd)
    size = output.stat().st_size / 1e6 if output.exists() else 0.0
    result = MemoryResult(case, round(seconds, 1), round(wall, 1), round(seconds / wall, 1),
                          round(rss, 1), round(size, 1), code, err if code else "")
    print(json.dumps(asdict(result)), flush=True)
    return result


def run_memory(minutes: float = LONG_MINUTES, transcript_minutes: float = TRANSCRIPT_MINUTES,
               only: set[str] | None = None) -> list[MemoryResult]:
    """Bake the long input with each engine and to JSON and CSV (with visemes, so every export
    has its input), bake the shorter one with its transcript, and export the long clip to
    every format."""
    vox = voxrig_command()
    audio, _, seconds = build_long_input(minutes)
    clip = WORK_DIR / "long.json"
    bakes = [
        ("bake neural -> json", audio, [], clip),
        ("bake neural -> json with keypoints", audio, ["--keypoints"],
         WORK_DIR / "keypoints.json"),
        ("bake neural -> csv", audio, [], WORK_DIR / "long.csv"),
        ("bake phonetic -> json", audio, ["--engine", "phonetic"], WORK_DIR / "phonetic.json"),
    ]
    short, text, short_seconds = build_long_input(transcript_minutes)
    bakes.append(("bake transcript -> json", short, ["--text", str(text)],
                  WORK_DIR / "transcript.json"))
    results = []
    for case, source, extra, out in bakes:
        if only and not any(word in case for word in only):
            continue
        length = short_seconds if source == short else seconds
        results.append(_run(case, [*vox, "bake", str(source), *extra, "--visemes", "--quiet",
                                   "--force", "-o", str(out)], length, out))
    if clip.exists():
        for kind in EXPORTS:
            if only and not any(word in f"export {kind}" for word in only):
                continue
            out = WORK_DIR / f"export{SUFFIX[kind]}"
            results.append(_run(f"export -> {kind}", [*vox, "export", str(clip), "--quiet",
                                                      "--force", "-o", str(out)], seconds, out))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--minutes", type=float, default=LONG_MINUTES)
    parser.add_argument("--transcript-minutes", type=float, default=TRANSCRIPT_MINUTES)
    parser.add_argument("--only", nargs="*", help="cases whose name holds one of these words")
    args = parser.parse_args()
    results = run_memory(args.minutes, args.transcript_minutes,
                         set(args.only) if args.only else None)
    sha = git_sha()
    path = results_path(RESULTS_DIR, sha)
    previous = previous_results(path, RESULTS_DIR)
    if previous is not None:
        before = {r["case"]: r for r in json.loads(previous.read_text())["results"]}
        print(f"\nagainst {previous.relative_to(REPO)}:")
        for r in results:
            if r.case in before:
                print(f"  {r.case}: {before[r.case]['peak_rss_mb']} -> {r.peak_rss_mb} MB, "
                      f"{before[r.case]['x_realtime']} -> {r.x_realtime}x real time")
    write_results(path, stamped(sha, minutes=args.minutes,
                                transcript_minutes=args.transcript_minutes,
                                results=[asdict(r) for r in results]))


if __name__ == "__main__":
    main()
