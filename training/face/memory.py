"""The mouth-shape memory of seed S1 (issue 17), first half: k-means prototypes of the
person's lower-face crops, and a small audio network that predicts, from 360 ms of sound
centred on a frame (9 frames, at least 5x the frame as S1 asks), softmax weights over them.
The weighted prototypes are a "memory mouth": what this person's mouth looks like when
making this sound (teeth, tongue, lip texture), which the lip template alone does not say.

    .venv/bin/python -m training.face.memory --minutes 10 --seed 0

Measured on the renderer's 80 validation clips (never trained on): top-1 / top-5 accuracy of
the predicted prototype, and the L1 of the memory mouth against the real crop on the lips and
jaw, next to the still mouth's (the clip's closed-mouth reference) and the best prototype's
(the memory's ceiling). Fusing the memory mouth into the generator (its input channels) and
the ablation with and without it are the second half. Writes build/face/memory/ and
training/results/render-memory-<date>.json."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np
import torch

from bench.face_tracks import CLIPS, LANDMARKS, load_landmarks
from bench.render_quality import read_audio
from bench.results import REPO, git_sha, stamped, write_results
from bench.sync_judge import MEL_PER_FRAME
from training.face.crops import CROPS
from training.face.driven import load_split
from voxrig.core.face_canvas import neutral_frames
from voxrig.core.face_memory import CONTEXT_MEL, MouthMemory, sound_context, sound_frames
from voxrig.core.face_memory_train import (
    PROTOTYPES,
    Heard,
    Prototypes,
    as_memory,
    export_network,
    find_prototypes,
    load_network,
    train_network,
)

OUT = REPO / "build" / "face" / "memory"
RESULTS = REPO / "training" / "results"
FPS = 25.0  # GRID's video
MOUTH_ROWS, MOUTH_COLUMNS = slice(16, 60), slice(20, 76)  # the generator's mouth weighting box


def load(clip_ids: list[str]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]]:
    """(mouth crops, sound frames, tracked frame indices, closed-mouth frames, clip id) of each
    tracked clip."""
    ids, landmarks = load_landmarks(LANDMARKS)
    index = {c: k for k, c in enumerate(ids)}
    out = []
    for clip_id in clip_ids:
        with np.load(CROPS / f"{clip_id}.npz") as z:
            mouth = z["mouth"]
        lm = landmarks[index[clip_id], :len(mouth)]
        keep = np.isfinite(lm).all(axis=(1, 2))
        if keep.sum() < CONTEXT_MEL // MEL_PER_FRAME:
            continue
        sound = sound_frames(read_audio(CLIPS / f"{clip_id}.mp4"))
        frames = np.flatnonzero(keep)
        frames = frames[frames * MEL_PER_FRAME < len(sound)]
        out.append((mouth, sound, frames, neutral_frames(lm[keep]), clip_id))
    return out


def train(minutes: float, seed: int, out: Path = OUT, threads: int = 1, fold: int | None = None,
          folds: int = 2, prototypes_from: Path | None = None) -> dict:
    """The prototypes (or those of `prototypes_from`, so several networks weigh the same
    mouths) and the sound network, trained on every training clip or, with `fold`, on all but
    every folds-th of them (those clips' memory mouths are then predicted without having been
    learnt from, as at render time: the generator's training needs that; see generator.py)."""
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    clips, validation, load_s = load_split(load)
    found = (Prototypes.load(prototypes_from / "prototypes.npz") if prototypes_from is not None
             else find_prototypes([c[0][c[2]] for c in clips], rng))
    labels = [found.assign(c[0][c[2]]) for c in clips]
    if fold is not None:
        kept = [k for k in range(len(clips)) if k % folds != fold]
        clips, labels = [clips[k] for k in kept], [labels[k] for k in kept]
    examples = [Heard(c[1], c[2], label, FPS) for c, label in zip(clips, labels, strict=True)]

    def report(p) -> None:  # noqa: ANN001
        print(f"step {p.step} {p.seconds:.0f}s loss {p.loss:.4f}", flush=True)

    model, record = train_network(examples, minutes * 60, seed, progress=report, rng=rng)
    scores = judge(model, validation, found.assign, found.mouths)
    out.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), out / "sound_to_memory.pt")
    found.save(out / "prototypes.npz")
    (out / "clips.json").write_text(json.dumps([c[4] for c in clips]))
    return {"seed": seed, "minutes": minutes, "threads": threads, "steps": record["steps"],
            "fold": None if fold is None else f"{fold}/{folds}",
            "prototypes_from": str(prototypes_from.relative_to(REPO)) if prototypes_from
            else None,
            "prototypes": PROTOTYPES, "context_mel_frames": CONTEXT_MEL, "train_clips": len(clips),
            "train_frames": int(sum(len(c[2]) for c in clips)), "load_seconds": round(load_s, 1),
            "cluster_sizes": np.bincount(np.concatenate(labels), minlength=PROTOTYPES).tolist(),
            "parameters": sum(p.numel() for p in model.parameters()),
            "validation": scores, "curve": record["curve"]}


def open_memory(folder: Path = OUT) -> MouthMemory:
    """A trained memory (train's folder) as the renderer uses it, its network run by torch."""
    prototypes = Prototypes.load(folder / "prototypes.npz").as_uint8()
    return as_memory(load_network(folder / "sound_to_memory.pt"), prototypes)


def export_memory(folder: Path) -> bytes:
    """The sound network as ONNX (dynamic batch), what a .voxface carries."""
    return export_network(load_network(folder / "sound_to_memory.pt"))


@torch.no_grad()
def judge(model: torch.nn.Module, clips: list, assign, prototypes: np.ndarray) -> dict:  # noqa: ANN001
    """Top-1/top-5 accuracy and mouth-box L1 (0-255) of the memory mouth, the still mouth
    and the best prototype, over every validation frame."""
    model.eval()
    box = (slice(None), MOUTH_ROWS, MOUTH_COLUMNS)
    top1 = top5 = n = 0
    l1 = {"memory": 0.0, "still": 0.0, "best_prototype": 0.0}
    for mouth, sound, frames, closed, _ in clips:
        x = torch.from_numpy(np.stack([sound_context(sound, int(k), FPS) for k in frames]))
        weights = torch.softmax(model(x), dim=1).numpy()
        truth = assign(mouth[frames])
        order = np.argsort(-weights, axis=1)
        top1 += int(np.sum(order[:, 0] == truth))
        top5 += int(np.sum((order[:, :5] == truth[:, None]).any(axis=1)))
        real = mouth[frames].astype(np.float32)
        memory = np.einsum("tk,khwc->thwc", weights, prototypes)
        still = mouth[frames[min(int(closed[0]), len(frames) - 1)]].astype(np.float32)[None]
        l1["memory"] += float(np.abs(memory - real)[box].mean(axis=(1, 2, 3)).sum())
        l1["still"] += float(np.abs(still - real)[box].mean(axis=(1, 2, 3)).sum())
        l1["best_prototype"] += float(np.abs(prototypes[truth] - real)[box].mean(
            axis=(1, 2, 3)).sum())
        n += len(frames)
    return {"frames": n, "top1": round(top1 / n, 4), "top5": round(top5 / n, 4),
            "chance_top1": round(1 / PROTOTYPES, 4),
            "mouth_l1": {k: round(v / n, 3) for k, v in l1.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--fold", type=int, default=None,
                        help="train the sound network on all training clips but this fold's")
    parser.add_argument("--folds", type=int, default=2)
    parser.add_argument("--prototypes", type=Path, default=None,
                        help="use this memory folder's prototypes instead of making new ones")
    parser.add_argument("-o", "--output", type=Path, default=OUT)
    parser.add_argument("--no-results", action="store_true", help="a trial: no results file")
    args = parser.parse_args(argv)
    summary = train(args.minutes, args.seed, args.output, args.threads, args.fold, args.folds,
                    args.prototypes.resolve() if args.prototypes else None)
    print({k: v for k, v in summary.items() if k not in ("curve", "cluster_sizes")})
    if not args.no_results:
        fold = "" if args.fold is None else f"-fold{args.fold}of{args.folds}"
        write_results(RESULTS / f"render-memory{fold}-{dt.date.today().isoformat()}.json",
                      stamped(git_sha(), **summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
