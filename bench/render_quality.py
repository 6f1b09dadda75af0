"""How good a face renderer's frames are (issue 17), measured the same way for every model:
on the renderer's 80 validation clips of GRID s1, a renderer (clip id, audio, real frames)
-> generated frames is scored against the real frames on the lower-face box (the box of the
real frame's FaceMesh landmarks below the nose):

- PSNR (RGB, from the clip's mean squared error) and SSIM (Gaussian-window SSIM on luma,
  Wang et al. 2004 constants, implemented here);
- lip sync: the inner-lip gap FaceMesh tracks on the generated frames vs on the real frames,
  Pearson r per clip, then the mean (tracking runs in .venv-track, see training/face/track.py);
- flicker: the mean |frame-to-frame change| of the box's luma that the real video does not
  have (0 for the real video itself).

    .venv/bin/python -m bench.render_quality [--limit N] [--no-track] [--voxrig] [--speed]

--voxrig adds `voxrig render` with the bundled face (core/assets/face), each clip re-rendered
from its own audio through voxrig's clip exactly as `voxrig render AUDIO --video CLIP.mp4`
does, with the clip's stored FaceMesh tracks standing in for tracking the video (so the
renderer's tracks give head pose, the reference frame and the ICT placement, never the
mouth's motion). --speed measures frames per second of the render loop at 360x288 and the
whole command on the bundled line and on 60 s of speech.

Baselines: the clip's first frame with a face repeated (a mouth that never moves) and a
plain H.264 re-encode of the decoded real frames (crf 22). Needs
build/face/grid-s1-landmarks.npz (python -m training.face.track in .venv-track).
Results: bench/render_quality_results/<date>-<sha>.json."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from voxrig.core.ssim import K1, K2, PEAK, RADIUS, SIGMA, luma, ssim

from .face_tracks import CLIPS, LANDMARKS, load_landmarks, read_video
from .grid import read_split
from .grid_track import VIDEO_FPS
from .results import BENCH, REPO, git_sha, results_path, stamped, write_results

RESULTS = BENCH / "render_quality_results"
WORK = REPO / "build" / "face" / "render_quality"
DUB_CLIPS = 40  # validation clips dubbed with another clip's audio (the leak check)
TRACK_PYTHON = REPO / ".venv-track" / "bin" / "python"
VALIDATION_CLIPS = 80
VALIDATION_SEED = 17  # issue 17
NOSE_BASE = 2  # FaceMesh subnasale: the lower-face box starts below it
UPPER_LIP, LOWER_LIP = 13, 14
REENCODE_CRF = 22
AUDIO_RATE = 16000

# (clip id, 16 kHz audio, real frames, their FaceMesh tracks) -> generated frames. A renderer
# judged for the acceptance may use the tracks only for what is not the mouth (head
# pose, the reference frame); the real-lips upper bound uses them all.
Renderer = Callable[[str, np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def renderer_validation(split: dict[str, list[str]] | None = None) -> list[str]:
    """The renderer's 80 validation clips: a seeded draw from the lip model's 160 validation
    clips, so nothing the lip model trained on is ever judged here."""
    split = read_split() if split is None else split
    pool = sorted(split["validation"])
    rng = np.random.default_rng(VALIDATION_SEED)
    return sorted(pool[i] for i in rng.choice(len(pool), VALIDATION_CLIPS, replace=False))


def psnr(mse: float) -> float:
    """PSNR in dB of a mean squared error on 0..255 values (inf when equal)."""
    return float("inf") if mse == 0 else float(10 * np.log10(PEAK ** 2 / mse))


def lower_face_box(points: np.ndarray, shape: tuple[int, ...], margin: float = 0.0
                   ) -> tuple[int, int, int, int] | None:  # fmt: skip
    """(x0, y0, x1, y1) of one frame's landmarks below the nose base, inside the image;
    None when the frame has no tracked face. `margin` widens the box by that share of its
    width and height on every side (the calibration of `--box-margins`)."""
    if not np.isfinite(points).all():
        return None
    below = points[points[:, 1] > points[NOSE_BASE, 1]]
    h, w = shape[:2]
    x0 = int(np.floor(below[:, 0].min()))
    x1, y1 = np.ceil(below.max(axis=0)).astype(int) + 1
    y0 = int(points[NOSE_BASE, 1])
    dx, dy = int(margin * (x1 - x0)), int(margin * (y1 - y0))
    return max(0, x0 - dx), max(0, y0 - dy), min(w, x1 + dx), min(h, y1 + dy)


def image_scores(real: np.ndarray, generated: np.ndarray, landmarks: np.ndarray,
                 margin: float = 0.0) -> dict:  # fmt: skip
    """PSNR, SSIM and flicker of one clip on each frame's lower-face box (widened by
    `margin`, see lower_face_box)."""
    sq, count, ssims, flicker = 0.0, 0, [], []
    prev = None
    for k in range(min(len(real), len(landmarks))):
        box = lower_face_box(landmarks[k], real.shape[1:], margin)
        if box is None:
            prev = None
            continue
        x0, y0, x1, y1 = box
        r, g = real[k, y0:y1, x0:x1], generated[k, y0:y1, x0:x1]
        diff = r.astype(np.float64) - g
        sq += float(np.sum(diff ** 2))
        count += diff.size
        ssims.append(ssim(luma(r), luma(g)))
        if prev is not None:
            real_step = luma(r) - luma(real[k - 1, y0:y1, x0:x1])
            gen_step = luma(g) - luma(generated[k - 1, y0:y1, x0:x1])
            flicker.append(float(np.mean(np.abs(gen_step - real_step))))
        prev = k
    return {"psnr": psnr(sq / max(count, 1)), "ssim": float(np.mean(ssims)),
            "flicker": float(np.mean(flicker)) if flicker else float("nan")}


def lip_gap(landmarks: np.ndarray) -> np.ndarray:
    """(T,) inner-lip gap in pixels (FaceMesh 13 to 14), NaN where no face."""
    return np.hypot(*(landmarks[:, UPPER_LIP] - landmarks[:, LOWER_LIP]).T)


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson r over the frames both tracks have; NaN when either is constant there."""
    both = np.isfinite(a) & np.isfinite(b)
    x, y = a[both] - a[both].mean(), b[both] - b[both].mean()
    den = np.sqrt(np.sum(x * x) * np.sum(y * y))
    return float(np.sum(x * y) / den) if both.sum() > 2 and den > 0 else float("nan")


def read_audio(clip: Path) -> np.ndarray:
    """The clip's sound, 16 kHz mono float32 (decoded by imageio-ffmpeg's ffmpeg)."""
    import imageio_ffmpeg

    raw = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(clip),
                          "-vn", "-ac", "1", "-ar", str(AUDIO_RATE), "-f", "f32le", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.float32)


def first_tracked(landmarks: np.ndarray) -> int:
    """Index of the clip's first frame with a tracked face (some GRID clips open on frames
    FaceMesh finds no face in, e.g. sran9s's first 8); 0 when none has one."""
    found = np.flatnonzero(np.isfinite(landmarks).all(axis=(1, 2)))
    return int(found[0]) if found.size else 0


def first_frame(clip_id: str, audio: np.ndarray, frames: np.ndarray,
                landmarks: np.ndarray) -> np.ndarray:
    """Baseline: the clip's first frame with a face held, a mouth that never moves."""
    k = first_tracked(landmarks)
    return np.repeat(frames[k:k + 1], len(frames), axis=0)


def reencode(clip_id: str, audio: np.ndarray, frames: np.ndarray,
             landmarks: np.ndarray) -> np.ndarray:
    """Baseline: the decoded real frames through H.264 (crf 22, yuv420p) and back."""
    import imageio_ffmpeg

    t, h, w = frames.shape[:3]
    path = WORK / f"reencode-{clip_id}.mp4"
    path.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    subprocess.run([ffmpeg, "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                    "-s", f"{w}x{h}", "-r", "25", "-i", "-", "-c:v", "libx264", "-crf",
                    str(REENCODE_CRF), "-pix_fmt", "yuv420p", "-threads", "1", str(path)],
                   input=np.ascontiguousarray(frames).tobytes(), check=True)
    out = read_video(path)[:t]
    path.unlink()
    return out


BASELINES: dict[str, Renderer] = {"first_frame": first_frame, "reencode_crf22": reencode}


def bake_keypoints(audio: np.ndarray, fps: float = VIDEO_FPS,
                   transcript: str | None = None) -> np.ndarray:
    """(T, 68, 3) keypoint displacements of 16 kHz audio, baked as `voxrig render AUDIO
    [--text T]` bakes it (bake's default options: neural engine, emotion and idle motion on)."""
    return baked(audio, fps, transcript).keypoints.astype(np.float32)


def baked(audio: np.ndarray, fps: float = VIDEO_FPS, transcript: str | None = None):  # noqa: ANN201
    """The clip `voxrig render AUDIO [--text T]` bakes from 16 kHz audio."""
    from voxrig.core.audio import audio_from_array
    from voxrig.core.bake import bake
    from voxrig.core.config import Config

    return bake(audio_from_array(audio, AUDIO_RATE), transcript,
                Config(fps=fps, keypoints=True))


def voxrig_renderer(threads: int = 1, face_path: Path | None = None,
                    transcripts: dict[str, str] | None = None,
                    tracked_lips: bool = False) -> Renderer:
    """`voxrig render` with the bundled face (or another .voxface), driven by voxrig's bake
    of the clip's audio (with the clip's transcript, when `transcripts` has it: `--text`);
    with `tracked_lips`, by the clip's real tracked lips instead (the upper bound, for a face
    trained on them: training.face.generator --tracked-lips), the sound still the clip's."""
    from voxrig.bridge.render.command import DEMO_FACE
    from voxrig.bridge.render.tracking import Landmarks, person, track_from_landmarks
    from voxrig.bridge.render.voxface import open_generator, read_face
    from voxrig.core.face_canvas import Similarity
    from voxrig.core.face_phones import aligned_phones
    from voxrig.core.face_render import dub, render_frames, tracked_mouth_points
    from voxrig.core.rig import load_rig

    face_path = face_path or DEMO_FACE
    face = read_face(face_path)
    generate = open_generator(face, str(face_path), threads)
    neutral = load_rig().neutral_landmarks

    def render(clip_id: str, audio: np.ndarray, frames: np.ndarray,
               landmarks: np.ndarray) -> np.ndarray:
        faces = np.isfinite(landmarks).all(axis=(1, 2)).astype(np.int8)
        track = track_from_landmarks(clip_id, Landmarks(landmarks, faces), len(frames),
                                     frames.__getitem__, face.template, neutral)
        place, reference = person(track, face, neutral)
        if tracked_lips:
            mouths = tracked_mouth_points(landmarks[:len(frames)], Similarity(track.a, track.t))
            conditions = generate.conditions(audio, len(frames), VIDEO_FPS)
            return np.stack(list(render_frames(frames, track.a, track.t, reference, mouths,
                                               generate, conditions)))
        transcript = (transcripts or {}).get(clip_id)
        clip = baked(audio, transcript=transcript)
        keypoints = clip.keypoints.astype(np.float32)[:len(frames)]
        conditions = generate.conditions(audio, len(keypoints), VIDEO_FPS, aligned_phones(clip))
        return np.stack(list(dub(frames, track.a, track.t, reference, place, keypoints,
                                 generate, conditions)))
    return render


def grid_transcripts(clip_ids: list[str]) -> dict[str, str]:
    """Each clip's transcript: the words of its GRID .align file."""
    from .grid import read_align, transcript_of

    return {c: transcript_of(read_align(CLIPS / f"{c}.align")) for c in clip_ids}


def clip_lip_gap(audio: np.ndarray) -> np.ndarray:
    """The rig's lip gap (mm) of voxrig's bake of 16 kHz audio at 25 fps, as render bakes it."""
    from voxrig.core.audio import audio_from_array
    from voxrig.core.bake import bake
    from voxrig.core.config import Config
    from voxrig.core.names import ARKIT52
    from voxrig.core.rig import mouth_signals

    clip = bake(audio_from_array(audio, AUDIO_RATE), None, Config(fps=VIDEO_FPS))
    weights = np.zeros((clip.frame_count, len(ARKIT52)), np.float32)
    for i, channel in enumerate(clip.channels):
        weights[:, ARKIT52.index(channel)] = clip.weights[:, i]
    return mouth_signals(weights)[0]


def clip_lip_r(clip_ids: list[str], tracks: dict[str, np.ndarray], name: str) -> dict:
    """Lip r of the driving clip: the lip gap of voxrig's bake of each clip's audio (the rig's,
    in mm) against the real tracked gap (how far voxrig's clip itself follows the speaker:
    what the renderer can reach) and against the gap tracked on renderer `name`'s frames
    (how faithfully the renderer draws the clip), means over the clips."""
    drawn_ids, drawn = load_landmarks(WORK / name / "landmarks.npz")
    drawn_by_id = dict(zip(drawn_ids, drawn, strict=True))
    real_r, drawn_r = [], []
    for clip_id in clip_ids:
        gap = clip_lip_gap(read_audio(CLIPS / f"{clip_id}.mp4"))
        n = min(len(gap), len(tracks[clip_id]))
        real_r.append(pearson(gap[:n], lip_gap(tracks[clip_id])[:n]))
        drawn_r.append(pearson(gap[:n], lip_gap(drawn_by_id[clip_id])[:n]))
    return {"clip_vs_real_lips_r": round(float(np.nanmean(real_r)), 4),
            "clip_vs_rendered_lips_r": round(float(np.nanmean(drawn_r)), 4)}


def same_length(frames: np.ndarray, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A clip's frames and another clip's audio cut to the shorter of the two (a dub)."""
    n = min(len(frames), int(len(audio) * VIDEO_FPS) // AUDIO_RATE)
    return frames[:n], audio[: int(n * AUDIO_RATE // VIDEO_FPS)]


def dub_check(name: str, renderer: Renderer, clip_ids: list[str],
              tracks: dict[str, np.ndarray]) -> dict:
    """A dub, not a re-render: each clip's video driven by the NEXT clip's audio. A renderer
    that draws the new audio tracks the driving clip's lips; one that reads the video's own
    mouth motion (from what its input leaves unmasked) tracks the video's real lips instead,
    which re-rendering a clip from its own audio cannot tell apart from good lip sync. The
    chance level is the driving clip against the video's lips (GRID's sentences share a
    rhythm)."""
    written, driving = [], {}
    with scratch_folder(f"dub-{name}") as folder:
        for k, clip_id in enumerate(clip_ids):
            audio = read_audio(CLIPS / f"{clip_ids[(k + 1) % len(clip_ids)]}.mp4")
            frames, audio = same_length(read_video(CLIPS / f"{clip_id}.mp4"), audio)
            written.append(folder / f"{clip_id}.npy")
            np.save(written[-1], renderer(clip_id, audio, frames, tracks[clip_id][:len(frames)]))
            driving[clip_id] = clip_lip_gap(audio)
        tracked = track_frames(written, folder / "landmarks.npz")
    rows = []
    for clip_id in clip_ids:
        drawn, real, drive = lip_gap(tracked[clip_id]), lip_gap(tracks[clip_id]), driving[clip_id]
        n = min(len(drawn), len(real), len(drive))
        rows.append((pearson(drawn[:n], drive[:n]), pearson(drawn[:n], real[:n]),
                     pearson(drive[:n], real[:n])))
    mean = np.nanmean(np.array(rows), axis=0)
    return {"clips": len(clip_ids), "rendered_vs_driving_clip_r": round(float(mean[0]), 4),
            "rendered_vs_video_own_lips_r": round(float(mean[1]), 4),
            "chance_driving_vs_video_lips_r": round(float(mean[2]), 4)}


def _real_and_rendered(clip_id: str, face: Path | None = None, audio_of: str | None = None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """A validation clip's real frames, `voxrig render`'s (with the bundled face or `face`)
    from its own audio or, for a dub, from clip `audio_of`'s, and that audio (AUDIO_RATE)."""
    video = CLIPS / f"{clip_id}.mp4"
    real, audio = same_length(read_video(video), read_audio(CLIPS / f"{audio_of or clip_id}.mp4"))
    if LANDMARKS.exists():
        ids, landmarks = load_landmarks(LANDMARKS)
        points = landmarks[ids.index(clip_id)]
    else:  # not tracked yet on this machine: FaceMesh on this clip alone, as render does
        from voxrig.bridge.render.tracking import PYTHON_VARIABLE, face_landmarks

        os.environ.setdefault(PYTHON_VARIABLE, str(REPO / ".venv-track" / "bin" / "python"))
        points = face_landmarks(video).points
    generated = voxrig_renderer(face_path=face)(clip_id, audio, real, points[:len(real)])
    return real, generated, audio


def side_by_side_video(clip_id: str, out: Path) -> Path:
    """An mp4 of the whole clip, real | `voxrig render`'s from the clip's own audio, with
    that audio: what a viewer judges lip sync and seams on."""
    import tempfile

    import soundfile as sf

    from voxrig.bridge.preview.video import encode_mp4

    real, generated, samples = _real_and_rendered(clip_id)
    with tempfile.TemporaryDirectory() as tmp:
        audio = Path(tmp) / "audio.wav"
        sf.write(audio, samples, AUDIO_RATE)
        out.parent.mkdir(parents=True, exist_ok=True)
        encode_mp4((np.concatenate([r, g], axis=1) for r, g in zip(real, generated,
                                                                    strict=True)),
                   25, out, audio)
    return out


def side_by_side(clip_id: str, out: Path, frames: tuple[int, ...] = (10, 25, 40, 55),
                 face: Path | None = None, audio_of: str | None = None) -> Path:
    """A PNG of the face region: real frames above, `voxrig render`'s below (the seam check),
    re-rendered from the clip's own audio or dubbed with clip `audio_of`'s (the mouth then
    differs from the video's, so a seam between drawn and kept would show)."""
    import imageio_ffmpeg

    real, generated, _ = _real_and_rendered(clip_id, face, audio_of)
    rows = [np.concatenate([f[100:260, 100:260] for f in stack[list(frames)]], axis=1)
            for stack in (real, generated)]
    image = np.ascontiguousarray(np.concatenate(rows, axis=0))
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "rawvideo",
                    "-pix_fmt", "rgb24", "-s", f"{image.shape[1]}x{image.shape[0]}", "-i", "-",
                    str(out)], input=image.tobytes(), check=True)
    return out


def render_speed(repeats: int = 3) -> dict:
    """Frames per second of the render loop on the demo video (360x288) with 1 and 2
    onnxruntime threads, the face model's load time, and the whole command (bake included,
    a fresh process) on the bundled 9.7 s line and on 60 s of speech."""
    import tempfile

    from voxrig.bridge.cli import SAMPLE_AUDIO
    from voxrig.bridge.render.command import DEMO_FACE, DEMO_TRACK, DEMO_VIDEO
    from voxrig.bridge.render.tracking import load_track
    from voxrig.bridge.render.voxface import open_generator, read_face
    from voxrig.core.face_render import dub
    from voxrig.core.rig import load_rig

    from .speed import build_input, measure, voxrig_command

    t0 = time.perf_counter()
    face = read_face(DEMO_FACE)
    open_generator(face, "demo")
    load_s = time.perf_counter() - t0
    frames, track = read_video(DEMO_VIDEO), load_track(DEMO_TRACK)
    place = face.placement(load_rig().neutral_landmarks)
    sound = read_audio(SAMPLE_AUDIO)
    keypoints = bake_keypoints(sound)
    loop = {}
    for threads in (1, 2):
        generate = open_generator(face, "demo", threads)
        best = np.inf
        for _ in range(repeats):
            t0 = time.perf_counter()  # the memory's mouths are part of the loop's cost
            memory = generate.conditions(sound, len(keypoints), VIDEO_FPS)
            for _frame in dub(frames, track.a, track.t, face.reference, place, keypoints,
                              generate, memory):
                pass
            best = min(best, time.perf_counter() - t0)
        loop[f"{threads}_threads_fps"] = round(len(keypoints) / best, 1)
    whole = {}
    with tempfile.TemporaryDirectory() as tmp:
        long_wav, _, long_s = build_input(Path(tmp))
        for name, audio, seconds in (("line_9.7s", SAMPLE_AUDIO, 9.68), ("speech_60s", long_wav,
                                                                          long_s)):
            wall, rss, code, err = measure([*voxrig_command(), "render", str(audio), "-o",
                                            str(Path(tmp) / "out.mp4"), "--force", "-q"])
            whole[name] = {"seconds": round(wall, 2), "x_realtime": round(seconds / wall, 2),
                           "peak_rss_mb": round(rss), "exit_code": code, "error": err}
    portrait = portrait_speed(frames, track, face, place, keypoints, sound, repeats)
    return {"size": f"{frames.shape[2]}x{frames.shape[1]}", "frames": len(keypoints),
            "render_loop": loop, "face_load_seconds": round(load_s, 3), "whole_command": whole,
            "portrait_512": portrait, "load_average": os.getloadavg()[0]}


PORTRAIT = 512  # a square portrait video's side, pixels
PORTRAIT_CROP = (36, 0, 288)  # x, y, side of the demo video's square around the face


def portrait_speed(frames: np.ndarray, track, face, place, keypoints: np.ndarray,
                   sound: np.ndarray, repeats: int) -> dict:
    """The render loop (one thread) and the whole `voxrig render --video` (FaceMesh tracking
    included) on a 512x512 portrait: the demo video's face square scaled up, with the demo
    track carried over (frame = portrait / s + corner, so a' = a / s, t' = t + a * corner)."""
    import tempfile

    from voxrig.bridge.cli import SAMPLE_AUDIO
    from voxrig.bridge.render.command import DEMO_VIDEO
    from voxrig.bridge.render.tracking import PYTHON_VARIABLE
    from voxrig.bridge.render.video import ffmpeg
    from voxrig.bridge.render.voxface import open_generator
    from voxrig.core.face_render import dub

    from .speed import measure, voxrig_command

    x, y, side = PORTRAIT_CROP
    scale = PORTRAIT / side
    corner = complex(x, y)
    a, t = track.a / scale, track.t + track.a * corner
    out: dict = {"size": f"{PORTRAIT}x{PORTRAIT}"}
    with tempfile.TemporaryDirectory() as tmp:
        video = Path(tmp) / "portrait.mp4"
        subprocess.run([ffmpeg(), "-loglevel", "error", "-y", "-i", str(DEMO_VIDEO), "-vf",
                        f"crop={side}:{side}:{x}:{y},scale={PORTRAIT}:{PORTRAIT}", "-c:v",
                        "libx264", "-crf", "18", "-pix_fmt", "yuv420p", "-an", str(video)],
                       check=True)  # fmt: skip
        big = read_video(video)
        generate = open_generator(face, "demo", 1)
        n = min(len(big), len(keypoints))
        best = np.inf
        for _ in range(repeats):
            t0 = time.perf_counter()
            memory = generate.conditions(sound, n, VIDEO_FPS)
            for _frame in dub(big[:n], a[:n], t[:n], face.reference, place, keypoints[:n],
                              generate, memory):
                pass
            best = min(best, time.perf_counter() - t0)
        out["render_loop_1_thread_fps"] = round(n / best, 1)
        tracker = REPO / ".venv-track" / "bin" / "python"
        env = {PYTHON_VARIABLE: str(tracker)}
        wall, rss, code, err = measure([*voxrig_command(), "render", str(SAMPLE_AUDIO), "--video",
                                        str(video), "-o", str(Path(tmp) / "out.mp4"), "--force",
                                        "-q"], env=env)  # fmt: skip
        out["whole_command_line_9.7s"] = {"seconds": round(wall, 2),
                                          "x_realtime": round(9.68 / wall, 2),
                                          "peak_rss_mb": round(rss), "exit_code": code,
                                          "error": err, "tracking": "FaceMesh, .venv-track"}
    return out


@contextmanager
def scratch_folder(name: str) -> Iterator[Path]:
    """A folder of this run's own under WORK for renderer `name`'s frame stacks, removed
    afterwards, also when the renderer fails: runs that share the repository (two faces
    benched side by side) must not delete each other's."""
    WORK.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"{name}-", dir=WORK) as folder:
        yield Path(folder)


def keep_landmarks(folder: Path, name: str) -> None:
    """Move a run's tracked frames to WORK/name/landmarks.npz, where --clip-r reads them
    (one rename: a run finishing beside another leaves one whole file, never a mix)."""
    (WORK / name).mkdir(parents=True, exist_ok=True)
    os.replace(folder / "landmarks.npz", WORK / name / "landmarks.npz")


def track_frames(paths: list[Path], out: Path) -> dict[str, np.ndarray]:
    """FaceMesh landmarks of written frame stacks, tracked in .venv-track (mediapipe stays
    out of the project's venv)."""
    subprocess.run(["nice", "-n", "10", str(TRACK_PYTHON), "-m", "training.face.track",
                    *map(str, paths), "-o", str(out)], check=True, cwd=REPO,
                   env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ids, landmarks = load_landmarks(out)
    return dict(zip(ids, landmarks, strict=True))


def sync_scores(judge, clip_id: str, frames: np.ndarray, audio: np.ndarray) -> dict:
    """The lip-sync expert's reading of a clip's frames (its mouth cut as the training crops
    were, through the real frames' transforms) against its sound."""
    from voxrig.core.face_canvas import MOUTH_BOX, MOUTH_SIZE, crop

    with np.load(LANDMARKS.parent / "crops" / f"{clip_id}.npz") as z:
        a, t = z["a"], z["t"]
    n = min(len(frames), len(a))
    mouths = np.stack([crop(frames[k], a[k], t[k], MOUTH_BOX, MOUTH_SIZE) for k in range(n)])
    r = judge.judge(mouths, audio)
    if r["offset"] is None:
        return {"sync_distance": np.nan, "sync_confidence": np.nan, "sync_in_step": np.nan}
    return {"sync_distance": r["distance"], "sync_confidence": r["confidence"],
            "sync_in_step": float(abs(r["offset"]) <= 1)}


def evaluate(name: str, renderer: Renderer, clip_ids: list[str],
             tracks: dict[str, np.ndarray], track: bool = True) -> dict:
    """Every score of one renderer on the given clips, per clip and averaged; with the sync
    expert (bench/data/sync-expert.onnx) its reading too."""
    from .sync_judge import EXPERT, SyncJudge

    judge = SyncJudge() if EXPERT.exists() else None
    per_clip: dict[str, dict] = {}
    written: list[Path] = []
    with scratch_folder(name) as folder:
        t0 = time.perf_counter()
        for clip_id in clip_ids:
            video = CLIPS / f"{clip_id}.mp4"
            real = read_video(video)
            audio = read_audio(video)
            generated = renderer(clip_id, audio, real, tracks[clip_id])
            per_clip[clip_id] = image_scores(real, generated, tracks[clip_id])
            if judge is not None:
                per_clip[clip_id].update(sync_scores(judge, clip_id, generated, audio))
            if track:
                written.append(folder / f"{clip_id}.npy")
                np.save(written[-1], generated)
        seconds = time.perf_counter() - t0
        if track:
            tracked = track_frames(written, folder / "landmarks.npz")
            for clip_id in clip_ids:
                per_clip[clip_id]["lip_r"] = pearson(lip_gap(tracked[clip_id]),
                                                     lip_gap(tracks[clip_id]))
            keep_landmarks(folder, name)
    keys = next(iter(per_clip.values())).keys()
    mean = {k: round(float(np.nanmean([c[k] for c in per_clip.values()])), 4) for k in keys}
    return {"mean": mean, "seconds": round(seconds, 1), "clips": len(clip_ids),
            "per_clip": {c: {k: round(v, 4) for k, v in s.items()} for c, s in per_clip.items()}}


def box_calibration(renderers: dict[str, Renderer], clip_ids: list[str],
                    tracks: dict[str, np.ndarray], margins: list[float]) -> dict:
    """Mean PSNR and SSIM of each renderer on the lower-face box widened by each margin.
    The issue quotes its scale (a still mouth 26.6 dB / 0.91, a re-encode 36.6 / 0.99) on a
    box it does not pin down; this shows how far the scale, and a renderer, move with it."""
    found: dict[str, dict] = {}
    for name, renderer in renderers.items():
        per_margin: dict[float, list[dict]] = {m: [] for m in margins}
        for clip_id in clip_ids:
            video = CLIPS / f"{clip_id}.mp4"
            real = read_video(video)
            generated = renderer(clip_id, read_audio(video), real, tracks[clip_id])
            for m in margins:
                per_margin[m].append(image_scores(real, generated, tracks[clip_id], m))
        found[name] = {f"{m:g}": {k: round(float(np.mean([s[k] for s in scores])), 4)
                                  for k in ("psnr", "ssim")}
                       for m, scores in per_margin.items()}
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None,
                        help="only the first N clips (a trial: no results file)")
    parser.add_argument("--no-track", action="store_true",
                        help="skip the lip-gap r (needs .venv-track)")
    parser.add_argument("--voxrig", action="store_true",
                        help="also `voxrig render` with the bundled face (the still baseline "
                        "beside it; the re-encode is left out)")
    parser.add_argument("--face", type=Path, default=None, metavar="NAME.voxface",
                        help="with --voxrig: this face model instead of the bundled one")
    parser.add_argument("--text", action="store_true",
                        help="with --voxrig: bake each clip with its GRID transcript (the "
                        ".align words), as `voxrig render --text` does; no dub check")
    parser.add_argument("--tracked-lips", action="store_true",
                        help="with --voxrig: drive the face by each clip's real tracked lips "
                        "(the upper bound of a face trained on them; no dub check)")
    parser.add_argument("--box-margins", type=float, nargs="+", metavar="SHARE",
                        help="only PSNR and SSIM of the still mouth, the re-encode and (with "
                        "--voxrig) the renderer on the box and on the box widened by each "
                        "share of its size on every side: how the scale depends on the box")
    parser.add_argument("--speed", action="store_true", help="only the render speed")
    parser.add_argument("--clip-r", action="store_true", help="only the driving clip's lip r "
                        "(after a --voxrig run: reads its tracked frames)")
    parser.add_argument("--frames", metavar="CLIP", help="only a PNG of real | rendered frames "
                        "of one validation clip, into docs/render/")
    parser.add_argument("--dub-frames", nargs=2, metavar=("CLIP", "AUDIO_CLIP"),
                        help="only a PNG of real | dubbed frames: validation clip CLIP saying "
                        "AUDIO_CLIP's audio, into docs/render/")
    parser.add_argument("--video", metavar="CLIP", nargs="+",
                        help="only mp4s of real | rendered validation clips with their audio, "
                        "into docs/render/")
    args = parser.parse_args(argv)
    sha = git_sha()
    if args.video:
        for clip_id in args.video:
            print(side_by_side_video(clip_id, REPO / "docs" / "render" / f"{clip_id}.mp4"))
        return 0
    if args.frames:
        print(side_by_side(args.frames, REPO / "docs" / "render" / f"{args.frames}-frames.png",
                           face=args.face))
        return 0
    if args.dub_frames:
        clip_id, audio_of = args.dub_frames
        print(side_by_side(clip_id, REPO / "docs" / "render" / f"{clip_id}-says-{audio_of}.png",
                           face=args.face, audio_of=audio_of))
        return 0
    if args.speed:
        speed = render_speed()
        print(json.dumps(speed))
        write_results(results_path(RESULTS, sha).with_suffix(".speed.json"),
                      stamped(sha, speed=speed))
        return 0
    ids, landmarks = load_landmarks(LANDMARKS)
    tracks = dict(zip(ids, landmarks, strict=True))
    clip_ids = renderer_validation()[:args.limit]
    if args.clip_r:
        found = clip_lip_r(clip_ids, tracks, "voxrig_render")
        print(json.dumps(found))
        write_results(results_path(RESULTS, sha).with_suffix(".clip-r.json"),
                      stamped(sha, clips=len(clip_ids), **found))
        return 0
    if args.box_margins:
        renderers = dict(BASELINES)
        if args.voxrig:
            renderers["voxrig_render"] = voxrig_renderer(face_path=args.face)
        found = box_calibration(renderers, clip_ids, tracks, [0.0, *args.box_margins])
        for name, by_margin in found.items():
            print(f"{name:16s} {json.dumps(by_margin)}")
        if args.limit is None:
            write_results(results_path(RESULTS, sha).with_suffix(".boxes.json"), stamped(
                sha, clips=len(clip_ids), margins="share of the box's width and height added "
                "on every side (0: the acceptance's box)", **found))
        return 0
    renderers = dict(BASELINES)
    if args.voxrig:
        name = "voxrig_render" if args.face is None else f"voxrig_render_{args.face.stem}"
        transcripts = grid_transcripts(clip_ids) if args.text else None
        renderers = {"first_frame": first_frame,
                     name: voxrig_renderer(face_path=args.face, transcripts=transcripts,
                                           tracked_lips=args.tracked_lips)}
    results = {name: evaluate(name, fn, clip_ids, tracks, not args.no_track)
               for name, fn in renderers.items()}
    # a dub's audio has no transcript, and the new audio has no real lips
    if args.voxrig and not args.no_track and not args.text and not args.tracked_lips:
        name = next(n for n in renderers if n.startswith("voxrig_render"))
        results[name]["dub"] = dub_check(name, renderers[name], clip_ids[:DUB_CLIPS], tracks)
    for name, r in results.items():
        print(f"{name:16s} {json.dumps(r['mean'])}")
        if "dub" in r:
            print(f"{'':16s} dub: {json.dumps(r['dub'])}")
    if args.limit is not None:  # a trial on a few clips is not a result to compare with
        print(f"(--limit {args.limit}: no results file written)")
        return 0
    path = results_path(RESULTS, sha)
    if args.face is not None:
        path = path.with_suffix(f".{args.face.stem}.json")
    if args.text:
        path = path.with_suffix(".text.json")
    if args.tracked_lips:
        path = path.with_suffix(".tracked-lips.json")
    write_results(path, stamped(
        sha, validation_seed=VALIDATION_SEED, validation=clip_ids,
        face=str(args.face) if args.face is not None else "bundled demo face",
        transcripts="each clip's GRID .align words" if args.text else None,
        driven_by="the real tracked lips" if args.tracked_lips else "voxrig's bake",
        box="FaceMesh landmarks below the nose base (2), per real frame",
        ssim=f"luma BT.601, Gaussian sigma {SIGMA}, {2 * RADIUS + 1}x"
             f"{2 * RADIUS + 1}, K1 {K1}, K2 {K2}",
        **{"renderers" if args.voxrig else "baselines": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
