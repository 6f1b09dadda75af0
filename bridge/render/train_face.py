"""`voxrig train-face`: a person's own face model (.voxface) from videos of them speaking, so
`voxrig render --face` can dub them with a generator that has seen their mouth.

Each video is tracked with MediaPipe FaceMesh exactly as `voxrig render --video` tracks one
(bridge/render/tracking.py), its mouth crops are cut on the canvas the tracks define, its own
audio is baked with voxrig's default bake (the lip templates come from voxrig's clip, not the
tracked lips, because that is what render feeds the generator), S1's mouth memory is learnt
from the crops and the sound (voxrig.core.face_memory_train: its prototypes, two fold networks
that give the generator's training frames memory mouths they never heard, and the network the
face carries), and the generator of voxrig.core.face_train is trained for the rest of a
wall-clock budget. Everything done is kept in a work
folder beside the output (NAME.voxface.partial/), so an interrupted run continues where it
stopped when the same command is run again."""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from voxrig.core.errors import VoxrigError
from voxrig.core.face_canvas import (
    Similarity,
    canonical_template,
    fit_ict_to_canvas,
    frame_transforms,
    mouth_columns,
    on_canvas,
)
from voxrig.core.face_memory import smoothed, sound_frames
from voxrig.core.face_render import IN_CHANNELS, MEMORY_CHANNELS, Placement, clip_mouth_points
from voxrig.core.rig import load_rig

from ..atomic import atomic_output
from .command import check_new_output
from .tracking import face_landmarks
from .video import VideoInfo, ffmpeg, probe, stream_frames
from .voxface import Face, write_face

MISSING_TORCH = "train-face needs torch, the 'train' extra: pip install 'voxrig[train]'"
AUDIO_RATE = 16000
HELD_SHARE = 0.1  # the last tenth of each video's frames judges the trained face
MIN_SECONDS = 4.0  # of tracked face over all videos: less cannot be split and trained
ADVISED_MINUTES = (3, 40)  # what the renderer needs to learn a person's mouth
MEMORY_SHARE = 0.3  # of the budget for S1's memory (the GRID recipe: 26 of 76 minutes), an
# equal part for each fold network and the whole one
CHECKPOINT = "checkpoint.pt"
INPUTS = "inputs.json"

EXAMPLES = """examples:
  voxrig train-face me1.mp4 me2.mp4 -o me.voxface              # 30 minutes of training
  voxrig train-face me*.mp4 -o me.voxface --minutes 60 --threads 2
  voxrig render line.wav --face me.voxface --video me1.mp4 -o dub.mp4

Interrupted (Ctrl-C), the same command continues from NAME.voxface.partial/.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("videos", nargs="+", metavar="VIDEO",
                        help="videos of the person speaking, one face, frontal (3-40 minutes "
                        "in all); their face is tracked with mediapipe (docs/cli.md, render)")
    parser.add_argument("-o", "--output", metavar="NAME.voxface", required=True,
                        help="the face model to write")
    parser.add_argument("--minutes", type=_minutes, default=30.0,
                        help="wall-clock budget of the training, in minutes (default 30)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    # off by default: on 10 minutes of footage and a 20-minute budget the memory drew a
    # better image but followed the speech less (docs/RENDER_CARD.md, train-face)
    parser.add_argument("--memory", choices=("on", "off"), default="off",
                        help=f"on: learn S1's mouth memory too, in {MEMORY_SHARE:.0%}% of the "
                        "budget (a sharper mouth, so far less lip sync on short budgets); "
                        "default off: the generator alone")
    parser.add_argument("--threads", type=_threads, default=1,
                        help="torch threads (default 1)")
    parser.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")


def _minutes(text: str) -> float:
    value = float(text)
    if not 0 < value <= 24 * 60:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1440 minutes, not {text}")
    return value


def _threads(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text}")
    return value


@dataclasses.dataclass(frozen=True)
class Video:
    """One training video, tracked and baked: its FaceMesh landmarks (T, 468, 2), faces per
    frame, the keypoints voxrig bakes from its sound (T', 68, 3), its sound frames for the
    memory (core/face_memory.sound_frames) and its size and rate."""

    path: Path
    info: VideoInfo
    landmarks: np.ndarray
    faces: np.ndarray
    keypoints: np.ndarray
    sound: np.ndarray


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    say = (lambda line: None) if args.quiet else _say  # noqa: E731
    output = Path(args.output)
    videos = [Path(v) for v in args.videos]
    _check_output(output, videos, args.force)
    face_train = _torch_module()
    work = output.with_name(output.name + ".partial")
    resumed = _open_work(work, videos, args.seed, say)
    loaded = [_prepare(path, k, work, say) for k, path in enumerate(videos)]
    stages = {"track_and_bake": time.monotonic() - started}
    t0 = time.monotonic()
    footage, face_parts, kept = _footage(loaded, face_train)
    stages["crops"] = time.monotonic() - t0
    _check_footage(footage, loaded, say)
    face_train.torch.set_num_threads(args.threads)
    budget = 60 * args.minutes
    memory = None
    if args.memory == "on":
        t0 = time.monotonic()
        footage, memory = _memory(footage, kept, work, MEMORY_SHARE * budget, args.seed, say)
        budget -= MEMORY_SHARE * budget
        stages["memory"] = time.monotonic() - t0
    channels = IN_CHANNELS + (MEMORY_CHANNELS if memory else 0)
    checkpoint = work / CHECKPOINT
    state = _resumed_run(face_train, checkpoint, args.seed, channels) \
        if checkpoint.exists() else None
    if state is not None:
        say(f"voxrig: resuming from {checkpoint} (step {state['step']}, "
            f"{state['seconds']:.0f} s of {budget:.0f} s trained)")
    else:
        if checkpoint.exists():
            say(f"voxrig: note: {checkpoint} is of a generator with{'out' if memory else ''} "
                "a memory (--memory changed): its training starts again")
        state = face_train.new_run(args.seed, channels)
        if resumed:
            say(f"voxrig: resuming in {work} (tracks and bakes kept; training starts)")
    say(f"voxrig: training on {footage.frames} frames ({footage.frames / loaded[0].info.fps:.0f} "
        f"s), {footage.held_frames} held out to judge, for {budget / 60:.3g} min "
        f"(checkpoints in {work})")

    def save(snapshot: dict) -> None:
        tmp = checkpoint.with_suffix(".tmp")
        face_train.torch.save(snapshot, tmp)
        os.replace(tmp, checkpoint)

    def progress(p: object) -> None:
        ratio = "-" if p.l1_vs_still is None else f"{p.l1_vs_still:.3f}"  # type: ignore
        say(f"voxrig: training: step {p.step}, {p.seconds:.0f} s of {p.budget:.0f} s, "  # type: ignore
            f"l1/still {ratio}")

    t0 = time.monotonic()
    state = face_train.train(state, footage, budget, save, progress)
    stages["train"] = time.monotonic() - t0
    t0 = time.monotonic()
    drawn, still = face_train.validate(state["model"], footage)
    stages["validate"] = time.monotonic() - t0
    t0 = time.monotonic()
    onnx = work / "generator.onnx"
    face_train.export(state["model"], str(onnx))
    face = Face(output.name.removesuffix(".voxface"), onnx.read_bytes(), face_parts.reference,
                face_parts.template, face_parts.place.a, face_parts.place.t,
                memory=memory[0] if memory else None,
                prototypes=memory[1] if memory else None, columns=face_parts.columns)
    _write_atomically(output, face, videos)
    stages["package"] = time.monotonic() - t0
    shutil.rmtree(work, ignore_errors=True)
    say(f"voxrig: validation ({footage.held_frames} held-out frames, the last "
        f"{100 * HELD_SHARE:.0f}% of each video): L1 {drawn:.4f} against {still:.4f} for the "
        f"still mouth ({drawn / still:.3f} of it)")
    say(f"wrote {output} ({state['step']} steps, {len(videos)} videos) in "
        f"{time.monotonic() - started:.1f} s ("
        + ", ".join(f"{k.replace('_', ' ')} {v:.1f} s" for k, v in stages.items()) + ")")
    return 0


def _resumed_run(face_train, checkpoint: Path, seed: int, channels: int) -> dict | None:  # noqa: ANN001
    """The run saved in `checkpoint`, or None when it was a generator of another kind (with a
    memory when this one has none, or the other way round: --memory changed); one line naming
    the file when it cannot be read back."""
    try:
        run = face_train.load_run(face_train.torch.load(checkpoint, weights_only=True), seed)
    except Exception as exc:  # torch raises pickle's, zip's, its own and KeyError for these
        raise VoxrigError(f"cannot resume from {str(checkpoint)!r} ({type(exc).__name__}): "
                          f"delete {str(checkpoint.parent)!r} to start the training again, "
                          f"or pass another -o") from None
    return run if run["model"].in_channels == channels else None


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _torch_module():  # noqa: ANN202 (voxrig.core.face_train, imported only to train)
    """voxrig.core.face_train, which imports torch; without torch, the line naming the extra."""
    try:
        from voxrig.core import face_train
    except ImportError as exc:
        if (exc.name or "").split(".")[0] in ("torch", "onnx"):
            raise VoxrigError(MISSING_TORCH) from None
        raise
    return face_train


def _check_output(output: Path, videos: list[Path], force: bool) -> None:
    if output.suffix.lower() != ".voxface":
        raise VoxrigError(f"cannot write {str(output)!r}: train-face writes a .voxface face "
                          f"model (use -o NAME.voxface)")
    if any(output.exists() and output.resolve() == v.resolve() for v in videos if v.exists()):
        raise VoxrigError("the output would overwrite an input video")
    check_new_output(output, force)
    for video in videos:
        probe(video)  # a missing file or one that is not a video fails before any work


def _signature(videos: list[Path], seed: int) -> dict:
    """What the work folder was made from: the same videos (by path, size and time) and seed."""
    return {"seed": seed, "videos": [[str(v.resolve()), v.stat().st_size, v.stat().st_mtime_ns]
                                     for v in videos]}


def _open_work(work: Path, videos: list[Path], seed: int, say) -> bool:  # noqa: ANN001
    """Make or reopen the work folder; True when an earlier run of the same command left it.
    A folder left by other videos or another seed is started afresh."""
    signature = _signature(videos, seed)
    inputs = work / INPUTS
    if inputs.exists():
        try:
            same = json.loads(inputs.read_text()) == signature
        except (OSError, ValueError):
            same = False
        if same:
            return True
        say(f"voxrig: note: {work} was left by other videos or another --seed: starting afresh")
        shutil.rmtree(work)
    try:
        work.mkdir(exist_ok=True)
        inputs.write_text(json.dumps(signature))
    except OSError as exc:
        raise VoxrigError(f"cannot make the work folder {str(work)!r}: {exc.strerror}") from None
    return False


def _prepare(path: Path, k: int, work: Path, say) -> Video:  # noqa: ANN001
    """One video tracked and its sound baked, or both read back from the work folder."""
    info = probe(path)
    cache = work / f"{k}-{hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]}.npz"
    if cache.exists():
        with np.load(cache) as z:
            if "sound" in z.files:  # a work folder of an older voxrig has none: made again
                return Video(path, info, z["landmarks"], z["faces"], z["keypoints"], z["sound"])
    t0 = time.monotonic()
    marks = face_landmarks(path)  # no face, several, too small, no mediapipe: one line
    tracked = time.monotonic() - t0
    t0 = time.monotonic()
    samples = _sound(path)
    keypoints = _bake(samples, info)
    sound = sound_frames(samples)
    say(f"voxrig: {path}: {len(marks.points)} frames tracked in {tracked:.1f} s, its sound "
        f"baked in {time.monotonic() - t0:.1f} s")
    tmp = cache.with_suffix(".tmp.npz")
    np.savez(tmp, landmarks=marks.points, faces=marks.faces, keypoints=keypoints, sound=sound)
    os.replace(tmp, cache)
    return Video(path, info, marks.points, marks.faces, keypoints, sound)


def _sound(path: Path) -> np.ndarray:
    """The video's sound, mono 16 kHz float32; one line when it has none."""
    proc = subprocess.run([ffmpeg(), "-v", "error", "-nostdin", "-i", str(path), "-vn",
                           "-ac", "1", "-ar", str(AUDIO_RATE), "-f", "f32le", "-"],
                          capture_output=True)
    samples = np.frombuffer(proc.stdout, dtype=np.float32)
    if proc.returncode != 0 or samples.size < AUDIO_RATE // 10:
        raise VoxrigError(f"video {str(path)!r} has no sound: train-face learns the mouth from "
                          f"the person's own speech in the video")
    return samples


def _bake(samples: np.ndarray, info: VideoInfo) -> np.ndarray:
    """(T, 68, 3) keypoints of the video's own sound, baked as `voxrig render AUDIO` bakes it
    (the default bake, at the video's frame rate)."""
    from voxrig.core.audio import audio_from_array
    from voxrig.core.bake import bake
    from voxrig.core.config import Config

    clip = bake(audio_from_array(samples, AUDIO_RATE), None,
                Config(fps=info.fps, keypoints=True))
    return clip.keypoints.astype(np.float32)


@dataclasses.dataclass(frozen=True)
class FaceParts:
    """What the face model keeps of the person besides its generator."""

    template: np.ndarray  # the canvas: stable points' positions, (len(STABLE),) complex
    place: Placement  # the person's ICT -> canvas placement
    reference: np.ndarray  # a closed-mouth crop (96, 96, 3) uint8
    columns: tuple[float, float]  # the crop columns the mouth is pasted over whole


def _footage(videos: list[Video], face_train) -> tuple[object, FaceParts, list]:  # noqa: ANN001
    """The crops and baked mouths of every video on one canvas, split in time; the face
    model's parts: the canvas template, the person's ICT -> canvas placement and reference;
    and each kept video with its split (core/face_train.VideoSplit)."""
    template = canonical_template(np.concatenate([v.landmarks for v in videos]))
    neutral = load_rig().neutral_landmarks.astype(np.float64)
    parts, canvas = [], []
    for v in videos:
        sim = frame_transforms(v.landmarks, template)
        limit = min(len(v.landmarks), len(v.keypoints))
        crops = face_train.mouth_crops(stream_frames(v.path, v.info, limit=limit),
                                       Similarity(sim.a[:limit], sim.t[:limit]))
        n = len(crops)
        lm = v.landmarks[:n].astype(np.float64)
        canvas.append(on_canvas(lm, sim))
        parts.append((crops, lm, v.keypoints[:n]))
    a, t, _ = fit_ict_to_canvas(neutral, np.concatenate(canvas))
    place = Placement(a, t, neutral)
    kept = []
    for v, (crops, lm, keypoints) in zip(videos, parts, strict=True):
        split = face_train.split_video(crops, clip_mouth_points(keypoints, place), lm, HELD_SHARE)
        if len(split.crops) >= 2:
            kept.append((v, split))
    if not kept:
        raise VoxrigError("too little footage: " + _needed(0.0))
    splits = [s for _, s in kept]
    footage = face_train.Footage([s.crops for s in splits], [s.mouths for s in splits],
                                 [s.closed for s in splits], [s.held_crops for s in splits],
                                 [s.held_mouths for s in splits])
    columns = mouth_columns(np.concatenate(canvas))
    reference = splits[0].crops[splits[0].closed[0]]
    return footage, FaceParts(template, place, reference, columns), kept


def _memory(footage, kept: list, work: Path, budget: float, seed: int,  # noqa: ANN001
            say) -> tuple[object, tuple[bytes, np.ndarray]]:  # noqa: ANN001
    """S1's memory learnt from the training frames in `budget` seconds: the footage with
    every frame's memory mouth (a training frame's from the fold network that did not hear
    it, a held-out one's from the whole network, eased as render eases it), and what the face
    carries (the whole network as ONNX, the uint8 prototypes). Each finished piece is kept in
    the work folder, so a rerun goes on from the first unfinished one."""
    from voxrig.core import face_memory_train as fm

    fps = kept[0][0].info.fps
    path = work / "memory-prototypes.npz"
    if path.exists():
        prototypes = fm.Prototypes.load(path)
    else:
        prototypes = fm.find_prototypes(footage.crops, np.random.default_rng(seed))
        with atomic_output(path) as tmp, open(tmp, "wb") as f:
            prototypes.save(f)
    examples = [fm.Heard(v.sound, s.frames, prototypes.assign(s.crops), v.info.fps)
                for v, s in kept]
    folds = fm.fold_blocks([s.frames for _, s in kept], fps)
    count = len(prototypes.mouths)
    networks = []
    for k in range(fm.FOLDS + 1):  # the fold networks, then the whole one
        path = work / f"memory-{k}.pt"
        if path.exists():
            networks.append(fm.load_network(path, count))
            continue
        learn = examples if k == fm.FOLDS else fm.leaving_out(examples, folds, k)
        what = "the whole footage" if k == fm.FOLDS else f"fold {k + 1} of {fm.FOLDS} left out"

        def report(p, what=what) -> None:  # noqa: ANN001
            say(f"voxrig: memory ({what}): step {p.step}, {p.seconds:.0f} s of {p.budget:.0f} s, "
                f"loss {p.loss:.3f}")

        model, _ = fm.train_network(learn, budget / (fm.FOLDS + 1), seed + k, count, report)
        with atomic_output(path) as tmp:
            fm.torch.save(model.state_dict(), tmp)
        networks.append(model)
    mouths = prototypes.as_uint8()
    memories = [fm.as_memory(n, mouths) for n in networks]
    whole = memories[-1]
    held = [whole.mouths_of(smoothed(whole.sound_weights(v.sound, s.held_frames, v.info.fps)))
            for v, s in kept]
    footage = dataclasses.replace(footage, memory=fm.unseen_mouths(memories[:-1], folds,
                                                                   examples), held_memory=held)
    return footage, (fm.export_network(networks[-1]), mouths)


def _needed(seconds: float) -> str:
    low, high = ADVISED_MINUTES
    return (f"{seconds:.1f} s of the face tracked in all the videos; train-face needs at least "
            f"{MIN_SECONDS:g} s to run, and {low}-{high} minutes to learn a mouth well")


def _check_footage(footage, videos: list[Video], say) -> None:  # noqa: ANN001
    fps = videos[0].info.fps
    seconds = (footage.frames + footage.held_frames) / fps
    names = ", ".join(str(v.path) for v in videos)
    if seconds < MIN_SECONDS or footage.held_frames == 0:
        raise VoxrigError(f"too little footage in {names}: " + _needed(seconds))
    if seconds < 60 * ADVISED_MINUTES[0]:
        say(f"voxrig: note: {seconds / 60:.1f} minutes of footage; a usable face needs "
            f"{ADVISED_MINUTES[0]}-{ADVISED_MINUTES[1]} (this one is a trial)")


def _write_atomically(output: Path, face: Face, videos: list[Path]) -> None:
    """The .voxface appears whole or not at all (a temporary file beside it, then renamed)."""
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        write_face(tmp, face, source="voxrig train-face: " + ", ".join(v.name for v in videos),
                   license="the videos' own")
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
