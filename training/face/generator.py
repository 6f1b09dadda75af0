"""The mouth generator (issue 17, seed S0): a small CPU U-Net that draws the person's 96x96
mouth crop from (the current frame's crop, masked, a reference crop of the same person, the
template image of the target lips) as a change to the reference crop. L1 + an image-gradient
L1, and optionally S0's lip-sync loss: a lip-sync expert of its own (trained like the bench's
judge but with another seed, so the bench's sync reading stays independent) asks five
consecutive drawn mouths to agree with the clip's sound.

    .venv/bin/python -m training.face.driven          # the clips' own audio, baked (2 min)
    .venv/bin/python -m training.face.sync_expert --minutes 15 --seed 1 -o build/face/sync-loss
    nice -n 5 .venv/bin/python -m training.face.generator --minutes 45 --clips 720 \
        [--sync-weight 0.02]

The model, its losses, batches, training loop and export are voxrig.core.face_train's (what
`voxrig train-face` trains too; the sync loss is this recipe's, as it needs an expert
trained on the person). Trains on clips outside the renderer's validation split for a
wall-clock budget. The templates are drawn from voxrig's bake of each clip's own audio
(training/face/driven.py), what `voxrig render` feeds the generator, not from the tracked
lips. Writes build/face/generator/mouth.onnx and .pt, and
training/results/render-generator-driven-<date>.json (the recipe and the loss curve)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from bench.face_tracks import CLIPS, LANDMARKS, load_landmarks
from bench.render_quality import read_audio
from bench.results import REPO, git_sha, stamped, write_results
from bench.sync_judge import (
    COLUMNS,
    FRAMES,
    LUMA,
    MEL_PER_FRAME,
    ROWS,
    grey_mouth,
    sound_frames,
    sound_window,
)
from training.face.adversarial import AdversarialLoss
from training.face.crops import CROPS
from training.face.driven import load_driven, training_columns, training_pool
from training.face.memory import FPS, open_memory
from training.face.phones import load_phones
from voxrig.core import face_train
from voxrig.core.face_canvas import Similarity, neutral_frames
from voxrig.core.face_memory import BlendedMouths, MouthMemory
from voxrig.core.face_phones import PHONE_DIMS, TimedPhone, frame_phones
from voxrig.core.face_render import (
    IN_CHANNELS,
    MASK_ROW,
    MEMORY_CHANNELS,
    Placement,
    clip_mouth_points,
    model_inputs,
    mouth_template,
    tracked_mouth_points,
)
from voxrig.core.face_train import (  # noqa: F401 (the recipe's names, for its importers)
    BATCH,
    GRADIENT_WEIGHT,
    LEAK,
    LEARNING_RATE,
    MOUTH_COLUMNS,
    MOUTH_ROWS,
    MOUTH_WEIGHT,
    REFERENCE,
    WIDTHS,
    MouthUNet,
    loss_terms,
    mouth_weights,
    sample_batch,
    ssim_loss,
)

OUT = REPO / "build" / "face" / "generator"
RESULTS = REPO / "training" / "results"
SYNC_EXPERT = REPO / "build" / "face" / "sync-loss" / "expert.pt"
TRAIN_CLIPS = 400  # of the 720 (memory and load time; a 30-min budget sees ~10k samples)
SYNC_WINDOWS = 2  # five-frame windows per step for the sync loss (10 more crops drawn)
SYNC_START = 2000  # steps of L1 alone before the sync loss joins (see SyncLoss)
GREY = torch.tensor(LUMA).view(1, 3, 1, 1)  # the expert's grey, of drawn (N, 3, h, w) crops


@dataclass(frozen=True)
class Training:
    """The clips trained on: per clip the mouth crops (T, 96, 96, 3), the baked mouth points
    (T, 9) complex, the closed-mouth frames and, for the sync loss, the clip's sound frames
    (None for clips with a frame FaceMesh missed, whose frames are not consecutive)."""

    crops: list[np.ndarray]
    mouths: list[np.ndarray]
    closed: list[np.ndarray]
    sounds: list[np.ndarray | None]
    memory: list[BlendedMouths] | None = None  # S1's memory mouths of the frames, if used
    conditions: list[np.ndarray] | None = None  # S3: memory weights and phones per frame


def load_training(clip_ids: list[str], place: Placement, keypoints: dict[str, np.ndarray],
                  with_sound: bool = False,
                  memory: Callable[[str], MouthMemory] | None = None,
                  phones: dict[str, list[TimedPhone] | None] | None = None,
                  tracked_lips: bool = False) -> Training:
    """The given clips' tracked frames, each with the clip's baked mouth points on the canvas
    and its closed-mouth frames (the references: render's is the person's closed mouth), and
    with a memory (`memory(clip_id)`: the one to use for that clip), each frame's memory mouth
    from the clip's sound (as render computes it); with S3's `phones` too (each clip's
    aligned phones, training/face/phones.py), each frame's condition row. With
    `tracked_lips`, the mouth points are the real tracked lips' instead (tracked_mouth_points):
    the upper bound a clip-driven face approaches, never a face to ship."""
    ids, landmarks = load_landmarks(LANDMARKS)
    index = {c: k for k, c in enumerate(ids)}
    out = Training([], [], [], [], [] if memory is not None else None,
                   [] if memory is not None and phones is not None else None)
    for clip_id in clip_ids:
        with np.load(CROPS / f"{clip_id}.npz") as z:
            mouth, a, t = z["mouth"], z["a"], z["t"]
        points = (tracked_mouth_points(landmarks[index[clip_id]][:len(a)], Similarity(a, t))
                  if tracked_lips else clip_mouth_points(keypoints[clip_id], place))
        n = min(len(mouth), len(points))
        keep = np.isfinite(landmarks[index[clip_id], :n]).all(axis=(1, 2))
        if keep.sum() < 2:
            continue
        sound = None
        if with_sound and keep.all():
            # a 3 s clip has 298 log-mel frames for its 75 video frames: the last video frame
            # has no whole sound, so windows stop where the sound does (SyncLoss)
            sound = sound_frames(read_audio(CLIPS / f"{clip_id}.mp4"))
            if len(sound) < (FRAMES + 1) * MEL_PER_FRAME:
                sound = None
        out.crops.append(mouth[:n][keep])
        out.mouths.append(points[:n][keep])
        out.closed.append(neutral_frames(landmarks[index[clip_id], :n][keep]))
        out.sounds.append(sound)
        if out.memory is not None:
            remembering = memory(clip_id)
            # not eased: the shipped face was trained so (easing came after, at render time)
            weights = remembering.weights(read_audio(CLIPS / f"{clip_id}.mp4"), n, FPS,
                                          eased=False)
            out.memory.append(remembering.mouths_of(weights[keep]))
            if out.conditions is not None:
                rows = np.concatenate([weights, frame_phones(phones.get(clip_id), n, FPS)], 1)
                out.conditions.append(rows[keep])
    return out


class SyncLoss:
    """S0's sync loss: SYNC_WINDOWS five-frame windows of drawn mouths per step, each scored
    by a frozen lip-sync expert against the clip's sound at the same time; the loss is the
    expert's -log P(in sync), times `weight`, from step `start` on. Why not from the start:
    the first generator draws the still reference, which the expert finds badly out of sync
    (loss 2.6, 0.03 x that is twice the L1), and with it on from step 0 the L1 stopped
    falling (300 steps: 1.03 of the still mouth's, against 0.84 without); Wav2Lip also
    switched its sync loss on once the reconstruction had converged."""

    def __init__(self, data: Training, expert_path: Path, weight: float,
                 start: int = SYNC_START) -> None:
        from training.face.sync_expert import SyncExpert

        self.data, self.weight, self.start = data, weight, start
        self.expert = SyncExpert()
        self.expert.load_state_dict(torch.load(expert_path, weights_only=True))
        self.expert.eval().requires_grad_(False)
        self.usable = [c for c, s in enumerate(data.sounds) if s is not None]
        # the expert sees each clip's grey mouth with the clip's mean removed
        self.means = {c: torch.from_numpy(grey_mouth(data.crops[c]).mean(axis=0))
                      for c in self.usable}
        self.running: float | None = None

    def __call__(self, model: nn.Module, rng: np.random.Generator, step: int,
                 drawn: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if step < self.start:
            return torch.zeros(())
        inputs, sounds, means = [], [], []
        for c in rng.choice(self.usable, SYNC_WINDOWS):
            crops, mouths, closed = self.data.crops[c], self.data.mouths[c], self.data.closed[c]
            heard = min(len(crops), len(self.data.sounds[c]) // MEL_PER_FRAME)
            k = int(rng.integers(heard - FRAMES + 1))
            reference = np.repeat(crops[int(rng.choice(closed))][None], FRAMES, axis=0)
            lips = np.stack([mouth_template(m) for m in mouths[k:k + FRAMES]])
            remembered = None if self.data.memory is None else self.data.memory[c][k:k + FRAMES]
            inputs.append(model_inputs(crops[k:k + FRAMES], reference, lips, memory=remembered))
            sounds.append(sound_window(self.data.sounds[c], k))
            means.append(self.means[c])
        drawn = model(torch.from_numpy(np.concatenate(inputs)))
        grey = (drawn[:, :, ROWS, COLUMNS] * GREY).sum(dim=1)
        mouth = grey.view(SYNC_WINDOWS, FRAMES, *grey.shape[1:]) - torch.stack(means)[:, None]
        logit = self.expert.logit(mouth, torch.from_numpy(np.stack(sounds)))
        loss = nn.functional.softplus(-logit).mean()
        value = loss.item()
        self.running = value if self.running is None else 0.98 * self.running + 0.02 * value
        return self.weight * loss


class SsimLoss:
    """`weight` x (1 - SSIM) of the drawn crops against the real ones, on the columns the face
    draws (face_train.ssim_loss)."""

    def __init__(self, weight: float, columns: tuple[int, int]) -> None:
        self.weight, self.columns = weight, columns
        self.running: float | None = None

    def __call__(self, model: nn.Module, rng: np.random.Generator, step: int,
                 drawn: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        loss = ssim_loss(drawn, target, self.columns)
        value = loss.item()
        self.running = value if self.running is None else 0.98 * self.running + 0.02 * value
        return self.weight * loss


def demo_columns() -> tuple[int, int]:
    """The crop columns the demo face will draw (training.face.package), whole pixels."""
    ids, landmarks = load_landmarks(LANDMARKS)
    lo, hi = training_columns(ids, dict(zip(ids, landmarks, strict=True)))
    return int(np.floor(lo)), int(np.ceil(hi)) + 1


def memory_by_clip(memory: Path | None, folds: list[Path] | None,
                   ) -> Callable[[str], MouthMemory] | None:
    """Which memory gives a training clip its memory mouths: the fold network that did not
    learn from it (training.face.memory --fold writes the clips it learnt from), or the one
    memory when no folds are given."""
    if memory is None:
        return None
    if not folds:
        whole = open_memory(memory)
        return lambda _: whole
    learnt = [(set(json.loads((d / "clips.json").read_text())), open_memory(d)) for d in folds]

    def unseen(clip_id: str) -> MouthMemory:
        return next(m for seen, m in learnt if clip_id not in seen)
    return unseen


def summed(losses: list[face_train.ExtraLoss]) -> face_train.ExtraLoss | None:
    """One extra loss for face_train.train out of several (None when there are none)."""
    if not losses:
        return None
    return lambda *step: sum((loss(*step) for loss in losses), torch.zeros(()))


def train(minutes: float, seed: int, out: Path = OUT, threads: int = 1,
          clips: int = TRAIN_CLIPS, sync_weight: float = 0.0,
          sync_expert: Path = SYNC_EXPERT, gan_weight: float = 0.0,
          memory: Path | None = None, memory_folds: list[Path] | None = None,
          phones: bool = False, ssim_weight: float = 0.0, tracked_lips: bool = False,
          widths: tuple[int, ...] = WIDTHS, transcripts: bool = True) -> dict:
    """Train for a wall-clock budget (cosine learning rate over it) on `threads` threads,
    fusing S1's memory when given: each training clip's memory mouths from the fold network
    that did not learn from the clip (`memory_folds`), as the validation clips' will be at
    render time. A memory network trained on the clip itself picks their prototype far more
    often than on new speech (10 min: cross-entropy 0.42 on its clips, top-1 0.27 on the
    validation clips), and a generator trained on that would trust the memory too much.
    With `phones` (S3, needs the memory), the frames' memory weights and aligned phones
    modulate the generator's features (core/face_train.MouthUNet)."""
    if phones and (memory is None or sync_weight > 0):
        raise ValueError("S3's phones need the memory, and are not combined with the sync loss")
    torch.set_num_threads(threads)
    place, keypoints = load_driven()
    pool = sorted(set(training_pool(load_landmarks(LANDMARKS)[0])) & set(keypoints))
    chosen = sorted(np.random.default_rng(seed).choice(pool, min(clips, len(pool)),
                                                       replace=False).tolist())
    t0 = time.perf_counter()
    data = load_training(chosen, place, keypoints, with_sound=sync_weight > 0,
                         memory=memory_by_clip(memory, memory_folds),
                         phones=(load_phones() if transcripts else {}) if phones else None,
                         tracked_lips=tracked_lips)
    load_s = time.perf_counter() - t0
    sync = SyncLoss(data, sync_expert, sync_weight) if sync_weight > 0 else None
    if sync is not None:
        print(f"sync loss on {len(sync.usable)} of {len(data.crops)} clips", flush=True)
    gan = AdversarialLoss(gan_weight, seed=seed) if gan_weight > 0 else None
    ssim = SsimLoss(ssim_weight, demo_columns()) if ssim_weight else None
    footage = face_train.Footage(data.crops, data.mouths, data.closed, [], [], data.memory,
                                 conditions=data.conditions)
    conditions = (data.conditions[0].shape[1] - PHONE_DIMS, PHONE_DIMS) if phones else None
    run = face_train.new_run(seed, IN_CHANNELS + (MEMORY_CHANNELS if memory else 0), conditions,
                             widths)

    def report(p: face_train.Progress) -> None:
        extra = f" sync {sync.running:.3f}" if sync is not None and sync.running else ""
        if gan is not None and gan.running is not None:
            extra += f" gan {gan.running:.3f} critic {gan.running_critic:.3f}"
        if ssim is not None and ssim.running is not None:
            extra += f" 1-ssim {ssim.running:.4f}"
        print(f"step {p.step} {p.seconds:.0f}s l1/still {p.l1_vs_still:.4f}{extra}", flush=True)

    face_train.train(run, footage, minutes * 60, progress=report, report_every=60.0,
                     extra=summed([loss for loss in (sync, gan, ssim) if loss is not None]))
    model = run["model"]
    out.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), out / "mouth.pt")
    export(model, out / "mouth.onnx")
    driven_by = ("the real tracked lips (the upper bound)" if tracked_lips
                 else "voxrig's bake of each clip's audio")
    return {"seed": seed, "minutes": minutes, "driven_by": driven_by,
            "ict_a": [place.a.real, place.a.imag], "ict_t": [place.t.real, place.t.imag],
            "steps": run["step"], "batch": BATCH, "threads": threads,
            "train_clips": len(data.crops), "frames": int(sum(len(c) for c in data.crops)),
            "load_seconds": round(load_s, 1), "widths": list(widths), "mask_row": MASK_ROW,
            "learning_rate": LEARNING_RATE, "gradient_weight": GRADIENT_WEIGHT,
            "mouth_weight": MOUTH_WEIGHT, "reference": "a closed-mouth frame of the clip",
            "sync_weight": sync_weight, "sync_windows": SYNC_WINDOWS if sync else 0,
            "sync_start_step": sync.start if sync else None,
            "sync_expert": str(sync_expert.relative_to(REPO)) if sync else None,
            "sync_clips": len(sync.usable) if sync else 0,
            "sync_loss_end": round(sync.running, 4) if sync and sync.running else None,
            "gan_weight": gan_weight, "gan_start_step": gan.start if gan else None,
            "gan_loss_end": round(gan.running, 4) if gan and gan.running else None,
            "critic_loss_end": round(gan.running_critic, 4) if gan and gan.running_critic
            else None,
            "ssim_weight": ssim_weight, "ssim_columns": list(ssim.columns) if ssim else None,
            "ssim_loss_end": round(ssim.running, 4) if ssim and ssim.running else None,
            "memory": str(memory.relative_to(REPO)) if memory else None,
            "memory_folds": [str(d.relative_to(REPO)) for d in memory_folds or []],
            "phones": ("S3: the clips' aligned GRID transcripts (training/face/phones.py), "
                       f"{face_train.PHONE_DROPOUT:.0%} of the frames without" if transcripts
                       else "S3 without transcripts: the sound's FiLM only") if phones else None,
            "parameters": sum(p.numel() for p in model.parameters()),
            "onnx_bytes": (out / "mouth.onnx").stat().st_size, "curve": run["curve"]}


def export(model: nn.Module, path: Path) -> None:
    """ONNX with a dynamic batch axis (voxrig.core.face_train.export), to a file."""
    face_train.export(model, str(path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--clips", type=int, default=TRAIN_CLIPS,
                        help=f"training clips drawn from the 720 (default {TRAIN_CLIPS})")
    parser.add_argument("--sync-weight", type=float, default=0.0,
                        help="weight of the lip-sync loss (0: none; Wav2Lip used 0.03)")
    parser.add_argument("--sync-expert", type=Path, default=SYNC_EXPERT,
                        help="the loss's lip-sync expert (training.face.sync_expert's .pt)")
    parser.add_argument("--gan-weight", type=float, default=0.0,
                        help="weight of the patch-critic loss (0: none; Wav2Lip used 0.07)")
    parser.add_argument("--memory", type=Path, default=None,
                        help="S1's mouth memory to fuse (training.face.memory's folder)")
    parser.add_argument("--memory-folds", type=Path, nargs="*", default=None,
                        help="the memory's fold networks (training.face.memory --fold), "
                        "each training clip's memory mouths from the one that did not see it")
    parser.add_argument("--phones", action="store_true",
                        help="S3: the frames' aligned phones (and memory weights) modulate the "
                        "generator (needs --memory and build/face/phones.json)")
    parser.add_argument("--ssim-weight", type=float, default=0.0,
                        help="weight of 1 - SSIM on the drawn columns (0: none)")
    parser.add_argument("--widths", type=int, nargs=4, default=WIDTHS,
                        help=f"the U-Net's channels at its four scales (default {WIDTHS})")
    parser.add_argument("--no-transcripts", action="store_true",
                        help="with --phones: no clip has its phones (the sound's FiLM alone, "
                        "what train-face could learn from footage without transcripts)")
    parser.add_argument("--tracked-lips", action="store_true",
                        help="the upper bound: templates of the real tracked lips instead of "
                        "voxrig's clip (never shipped: a dub has no real lips)")
    parser.add_argument("-o", "--output", type=Path, default=OUT, help="folder of the model")
    parser.add_argument("--no-results", action="store_true", help="a trial: no results file")
    args = parser.parse_args(argv)
    summary = train(args.minutes, args.seed, args.output, args.threads, args.clips,
                    args.sync_weight, args.sync_expert, args.gan_weight,
                    args.memory.resolve() if args.memory else None,
                    [d.resolve() for d in args.memory_folds or []], args.phones,
                    args.ssim_weight, args.tracked_lips, tuple(args.widths),
                    not args.no_transcripts)
    if args.no_results:
        print({k: v for k, v in summary.items() if k != "curve"})
        return 0
    sha = git_sha()
    kind = "driven" + ("-memory" if args.memory else "") + (
        "-sync" if args.sync_weight > 0 else "") + ("-gan" if args.gan_weight > 0 else "") + (
        "-phones" if args.phones else "") + ("-ssim" if args.ssim_weight > 0 else "") + (
        "-tracked" if args.tracked_lips else "")
    write_results(RESULTS / f"render-generator-{kind}-{dt.date.today().isoformat()}.json",
                  stamped(sha, **summary))
    print({k: v for k, v in summary.items() if k != "curve"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
