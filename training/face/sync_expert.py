"""A lip-sync expert for the renderer (issue 17; seed S0's sync loss, after SyncNet): one small
encoder sees five video frames of the mouth (200 ms at 25 fps), another the log-mel of the
same 200 ms, and they are trained so that their embeddings agree when sound and mouth are in
sync and disagree when the sound is shifted or from another clip.

It judges any video of the person's mouth without landmarks: for each offset of the sound
against the picture (-7..7 frames), the mean distance of the two embeddings; the offset where
they agree best, how far apart they are there (sync distance, lower is better) and how much
better that offset is than the median one (sync confidence, higher is better) — the LSE-D /
LSE-C readings of Wav2Lip-style evaluations, with this expert instead of theirs.

    .venv/bin/python -m training.face.sync_expert --minutes 25 --seed 0

Trains on the crops of the 720 training clips (build/face/crops, training/face/crops.py) and
their own audio; judges the renderer's 80 validation clips, never trained on. Writes
build/face/sync/expert.pt and sync-expert.onnx (copy it to bench/data/ for the bench's
readings, bench/sync_judge.py) and training/results/render-sync-expert-<date>.json."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from bench.face_tracks import CLIPS
from bench.render_quality import read_audio
from bench.results import REPO, git_sha, stamped, write_results
from bench.sync_judge import (
    EXPERT,
    FRAMES,
    MEL_FRAMES,
    MEL_PER_FRAME,
    SyncJudge,
    mouth_frames,
    mouth_window,
    reading,
    sound_frames,
    sound_window,
    summary,
    windows,
)
from training.face.crops import CROPS
from training.face.driven import load_split

OUT = REPO / "build" / "face" / "sync"
RESULTS = REPO / "training" / "results"
EMBEDDING = 64
BATCH = 32  # in-sync pairs per step, and as many out of sync
MIN_SHIFT = 3  # out-of-sync pairs are at least this many frames (120 ms) apart...
MAX_SHIFT = 12  # ... and at most this many
LEARNING_RATE = 1e-3


def _encoder(cin: int, strides: tuple[tuple[int, int], ...]) -> nn.Sequential:
    layers: list[nn.Module] = []
    widths = (32, 64, 96, 128)
    for cout, stride in zip(widths, strides, strict=True):
        layers += [nn.Conv2d(cin, cout, 3, stride, 1), nn.BatchNorm2d(cout), nn.ReLU()]
        cin = cout
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, EMBEDDING))


class SyncExpert(nn.Module):
    """Mouth windows (B, FRAMES, 48, 64) and sound windows (B, 1, N_MELS, MEL_FRAMES) ->
    unit embeddings; `logit` says how in sync a pair is."""

    def __init__(self) -> None:
        super().__init__()
        self.mouth = _encoder(FRAMES, ((2, 2), (2, 2), (2, 2), (2, 2)))
        self.sound = _encoder(1, ((2, 1), (2, 2), (2, 2), (2, 1)))
        self.scale = nn.Parameter(torch.tensor(5.0))
        self.bias = nn.Parameter(torch.tensor(0.0))

    def embed_mouth(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(self.mouth(x), dim=1)

    def embed_sound(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(self.sound(x), dim=1)

    def logit(self, mouth: torch.Tensor, sound: torch.Tensor) -> torch.Tensor:
        cosine = (self.embed_mouth(mouth) * self.embed_sound(sound)).sum(dim=1)
        return self.scale * cosine + self.bias


def load_clips(clip_ids: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(mouth frames, sound frames) of each clip, trimmed to the frames both have."""
    out = []
    for clip_id in clip_ids:
        with np.load(CROPS / f"{clip_id}.npz") as z:
            mouth = mouth_frames(z["mouth"])
        sound = sound_frames(read_audio(CLIPS / f"{clip_id}.mp4"))
        n = min(len(mouth), len(sound) // MEL_PER_FRAME)
        out.append((mouth[:n], sound[: n * MEL_PER_FRAME]))
    return out


def sample_batch(rng: np.random.Generator, clips: list[tuple[np.ndarray, np.ndarray]]
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:  # fmt: skip
    """BATCH in-sync pairs and BATCH out-of-sync ones (the same clip's sound shifted by
    MIN_SHIFT..MAX_SHIFT frames, or, one time in four, another clip's)."""
    mouths, sounds, labels = [], [], []
    while len(labels) < 2 * BATCH:
        c = int(rng.integers(len(clips)))
        mouth, sound = clips[c]
        last = len(mouth) - FRAMES
        if last < 1:
            continue
        k = int(rng.integers(last + 1))
        synced = len(labels) % 2 == 0
        if synced:
            j, other = k, sound
        elif rng.random() < 0.25:
            o = int(rng.integers(len(clips)))
            other = clips[o][1]
            j = int(rng.integers(max(len(other) // MEL_PER_FRAME - FRAMES, 0) + 1))
        else:
            shifts = [j for j in range(max(0, k - MAX_SHIFT), min(last, k + MAX_SHIFT) + 1)
                      if abs(j - k) >= MIN_SHIFT]  # fmt: skip
            if not shifts:
                continue
            j, other = int(rng.choice(shifts)), sound
        window = sound_window(other, j)
        if window.shape[2] < MEL_FRAMES:
            continue
        mouths.append(mouth_window(mouth, k))
        sounds.append(window)
        labels.append(float(synced))
    return (torch.from_numpy(np.stack(mouths)), torch.from_numpy(np.stack(sounds)),
            torch.tensor(labels))


def export(model: SyncExpert, path: Path) -> None:
    """One ONNX graph: (mouth windows, sound windows) -> their unit embeddings."""

    class Both(nn.Module):
        def __init__(self, expert: SyncExpert) -> None:
            super().__init__()
            self.expert = expert

        def forward(self, mouth: torch.Tensor, sound: torch.Tensor):  # noqa: ANN201
            return self.expert.embed_mouth(mouth), self.expert.embed_sound(sound)

    model.eval()
    dummy = (torch.zeros(1, FRAMES, 48, 64), torch.zeros(1, 1, 80, MEL_FRAMES))
    torch.onnx.export(Both(model), dummy, str(path), input_names=["mouth", "sound"],
                      output_names=["seen", "heard"], opset_version=17, dynamo=False,
                      dynamic_axes={"mouth": {0: "n"}, "sound": {0: "n"}, "seen": {0: "n"},
                                    "heard": {0: "n"}})


def judge_clips(judge: SyncJudge, clips: list[tuple[np.ndarray, np.ndarray]]) -> dict:
    """The expert's reading of each (mouth frames, sound frames) pair, summarised."""
    return summary([reading(*judge.embed(*windows(m, s))) for m, s in clips])


def train(minutes: float, seed: int, out: Path = OUT, threads: int = 1) -> dict:
    """Train for a wall-clock budget (cosine learning rate), then judge the validation clips
    with their own sound and with another clip's (which an expert must find out of sync)."""
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    clips, validation, load_s = load_split(load_clips)
    model = SyncExpert()
    opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = nn.BCEWithLogitsLoss()
    budget, start, step, curve, running = minutes * 60, time.perf_counter(), 0, [], None
    while (elapsed := time.perf_counter() - start) < budget:
        model.train()
        for group in opt.param_groups:
            group["lr"] = LEARNING_RATE * 0.5 * (1 + np.cos(np.pi * elapsed / budget))
        mouth, sound, label = sample_batch(rng, clips)
        logit = model.logit(mouth, sound)
        loss = loss_fn(logit, label)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        accuracy = float(((logit > 0).float() == label).float().mean())
        running = (loss.item(), accuracy) if running is None else (
            0.98 * running[0] + 0.02 * loss.item(), 0.98 * running[1] + 0.02 * accuracy)
        if step % 100 == 0:
            curve.append({"step": step, "seconds": round(elapsed), "loss": round(running[0], 4),
                          "accuracy": round(running[1], 4)})
            print(f"step {step} {elapsed:.0f}s loss {running[0]:.4f} acc {running[1]:.3f}",
                  flush=True)
    out.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), out / "expert.pt")
    export(model, out / EXPERT.name)
    judge = SyncJudge(out / EXPERT.name)
    own = judge_clips(judge, validation)
    swapped = judge_clips(judge, [(m, validation[(k + 1) % len(validation)][1])
                                  for k, (m, _) in enumerate(validation)])
    return {"seed": seed, "minutes": minutes, "threads": threads, "steps": step,
            "batch": 2 * BATCH, "train_clips": len(clips), "load_seconds": round(load_s, 1),
            "parameters": sum(p.numel() for p in model.parameters()),
            "onnx_bytes": (out / EXPERT.name).stat().st_size,
            "validation_own_sound": own, "validation_other_clip_sound": swapped,
            "curve": curve}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=25.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("-o", "--output", type=Path, default=OUT, help="folder of the expert")
    parser.add_argument("--no-results", action="store_true", help="a trial: no results file")
    args = parser.parse_args(argv)
    summary = train(args.minutes, args.seed, args.output, args.threads)
    print({k: v for k, v in summary.items() if k != "curve"})
    if not args.no_results:
        write_results(RESULTS / f"render-sync-expert-{dt.date.today().isoformat()}.json",
                      stamped(git_sha(), **summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
