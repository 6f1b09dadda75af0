"""`voxrig train-face` as a user meets it (issue 17): a few minutes of one person's footage in
a few long videos, the command under a wall-clock budget, and the face it writes scored on the
renderer's 80 validation clips (bench/render_quality.py --voxrig --face), which the footage
never contains.

The footage is GRID s1's: clips drawn (seeded) from the 720 the renderer may train on, joined
into videos frame by frame, each clip's sound cut to its own frames (a join by stream copy
lets the sound drift 72 ms a clip: a face trained on that cannot lip-sync), encoded as a
user's camera would (H.264 crf 18, AAC).

    .venv/bin/python -m bench.train_face [--minutes 10] [--videos 2] [--budget 20]
        [--name NAME] [-- TRAIN-FACE OPTIONS]

Writes build/face/train-face/NAME.voxface and prints the render_quality command that scores
it; the command's own progress and timing lines are the run's record."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from .face_tracks import CLIP_FRAMES, CLIPS, read_video
from .grid_track import VIDEO_FPS
from .render_quality import AUDIO_RATE, TRACK_PYTHON, read_audio, renderer_validation
from .results import REPO

WORK = REPO / "build" / "face" / "train-face"
FOOTAGE_SEED = 8  # which training clips make the footage
CRF = 18  # a good camera's file: the footage is not the clips' own encode


def training_clips() -> list[str]:
    """GRID s1 clips outside the renderer's validation split."""
    held = set(renderer_validation())
    return sorted(p.stem for p in CLIPS.glob("*.mp4") if p.stem not in held)


def footage_clips(minutes: float) -> list[str]:
    """The training clips that make `minutes` of footage, in the order they are joined."""
    count = int(round(minutes * 60 * VIDEO_FPS / CLIP_FRAMES))
    rng = np.random.default_rng(FOOTAGE_SEED)
    return sorted(rng.choice(training_clips(), count, replace=False))


def make_footage(minutes: float, videos: int, folder: Path = WORK) -> list[Path]:
    """`videos` videos holding `minutes` of training clips in all (kept: made once)."""
    chosen = footage_clips(minutes)
    paths = [folder / f"grid-s1-{minutes:g}min-{k + 1}of{videos}.mp4" for k in range(videos)]
    for path, part in zip(paths, np.array_split(np.array(chosen), videos), strict=True):
        if not path.exists():
            _join([CLIPS / f"{c}.mp4" for c in part], path)
    return paths


def _join(clips: list[Path], out: Path) -> None:
    """One video of the clips' frames and, under each, exactly its frames' length of sound."""
    import imageio_ffmpeg

    frames, sound = [], []
    for clip in clips:
        video = read_video(clip)
        audio = read_audio(clip)
        samples = int(round(len(video) * AUDIO_RATE / VIDEO_FPS))
        frames.append(video)
        sound.append(np.pad(audio[:samples], (0, max(0, samples - len(audio)))))
    video = np.concatenate(frames)
    out.parent.mkdir(parents=True, exist_ok=True)
    wav = out.with_suffix(".f32")
    np.concatenate(sound).astype("<f4").tofile(wav)
    h, w = video.shape[1:3]
    tmp = out.with_name(f".{out.name}.tmp.mp4")
    try:
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y",
                        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
                        "-r", str(VIDEO_FPS), "-i", "-",
                        "-f", "f32le", "-ar", str(AUDIO_RATE), "-ac", "1", "-i", str(wav),
                        "-c:v", "libx264", "-crf", str(CRF), "-pix_fmt", "yuv420p",
                        "-c:a", "aac", "-shortest", str(tmp)],
                       input=video.tobytes(), check=True)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
        wav.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.train_face", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="footage, in minutes")
    parser.add_argument("--videos", type=int, default=2, help="videos the footage is cut into")
    parser.add_argument("--budget", type=float, default=20.0, help="train-face --minutes")
    parser.add_argument("--name", default="face", help="the face's name (NAME.voxface)")
    args, train_face = parser.parse_known_args(argv)
    videos = make_footage(args.minutes, args.videos)
    face = WORK / f"{args.name}.voxface"
    command = [str(REPO / ".venv" / "bin" / "voxrig"), "train-face", *map(str, videos),
               "-o", str(face), "--minutes", f"{args.budget:g}", "--force",
               *[a for a in train_face if a != "--"]]
    print(" ".join(command), flush=True)
    # train-face tracks the videos with the project's mediapipe venv, as a user's would
    env = {"VOXRIG_FACE_PYTHON": str(TRACK_PYTHON), **os.environ}
    status = subprocess.run(command, env=env).returncode
    if status == 0:
        print(f"score it: .venv/bin/python -m bench.render_quality --voxrig --face {face}")
    return status


if __name__ == "__main__":
    sys.exit(main())
