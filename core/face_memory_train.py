"""Training a face's mouth-shape memory (issue 17, seed S1; the memory itself is
core/face_memory.py): k-means prototypes of the person's lower-face crops, and the small
sound network that learns, from 360 ms of sound centred on a frame, which prototype the
mouth is closest to. Shared by `voxrig train-face` and the GRID recipe
(training/face/memory.py), so the demo face's memory and a user's are made the same way.

A network weighs the frames it learnt from far more surely than new speech (on GRID s1:
cross-entropy 0.42 on its own clips against 27 % top-1 on new ones), so the generator must
learn from memory mouths of networks that never heard those frames (`folds`), as every
frame it renders will be.

Needs torch (the 'train' extra): imported only to train."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .face_memory import CONTEXT_MEL, BlendedMouths, MouthMemory, sound_context
from .mel import N_MELS

PROTOTYPES = 32  # k-means clusters of lower-face codes
CODE_SIZE = 24  # crops are shrunk to 24x24 before PCA (the shapes, not the pores)
PCA_DIMS = 32
LOWER_FACE_ROW = 20  # crop rows from here down: below the nose base
PCA_SAMPLE, KMEANS_SAMPLE = 20000, 30000  # codes the basis and the clusters are found from
KMEANS_ITERATIONS = 30
BATCH = 64
LEARNING_RATE = 1e-3
FOLDS = 2  # networks that each leave out every FOLDS-th block of the footage
FOLD_BLOCK_SECONDS = 10.0  # blocks this long: neighbouring frames sound alike


def lower_face(crops: np.ndarray) -> np.ndarray:
    """(T, 96, 96, 3) uint8 -> (T, D) float32 codes of the lower face (rows from LOWER_FACE_ROW),
    shrunk by block means to CODE_SIZE across."""
    lower = crops[:, LOWER_FACE_ROW:].astype(np.float32) / 255
    block = 96 // CODE_SIZE
    rows = (96 - LOWER_FACE_ROW) // block * block
    lower = lower[:, :rows]
    t, h, w, c = lower.shape
    small = lower.reshape(t, h // block, block, w // block, block, c).mean(axis=(2, 4))
    return small.reshape(t, -1)


def kmeans(x: np.ndarray, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Centres (k, D) and labels (N,) by Lloyd's iterations from a k-means++ start."""
    centres = [x[rng.integers(len(x))]]
    for _ in range(1, k):
        d = np.min([((x - c) ** 2).sum(axis=1) for c in centres], axis=0)
        centres.append(x[rng.choice(len(x), p=d / d.sum())] if d.sum() > 0
                       else x[rng.integers(len(x))])  # fmt: skip
    c = np.stack(centres)
    for _ in range(KMEANS_ITERATIONS):
        labels = nearest(x, c)
        for j in range(k):
            if np.any(labels == j):
                c[j] = x[labels == j].mean(axis=0)
    return c, nearest(x, c)


def nearest(x: np.ndarray, centres: np.ndarray) -> np.ndarray:
    return np.argmin(((x[:, None] - centres[None]) ** 2).sum(axis=2), axis=1)


@dataclass(frozen=True)
class Prototypes:
    """The memory's mouths (K, 96, 96, 3) float32 and what sorts a crop to one of them: the
    lower-face codes' mean, PCA basis and the k-means centres in it."""

    centres: np.ndarray
    mean: np.ndarray
    basis: np.ndarray
    mouths: np.ndarray

    def assign(self, crops: np.ndarray) -> np.ndarray:
        """The nearest prototype of each crop (T, 96, 96, 3), by its lower-face code."""
        return nearest((lower_face(crops) - self.mean) @ self.basis.T, self.centres)

    def as_uint8(self) -> np.ndarray:
        return np.clip(np.rint(self.mouths), 0, 255).astype(np.uint8)

    def save(self, path: str | io.BytesIO) -> None:
        np.savez(path, centres=self.centres, mean=self.mean, basis=self.basis,
                 prototypes=self.mouths)

    @classmethod
    def load(cls, path: object) -> Prototypes:
        with np.load(path) as z:
            return cls(z["centres"], z["mean"], z["basis"], z["prototypes"])


def find_prototypes(crop_sets: list[np.ndarray], rng: np.random.Generator,
                    count: int = PROTOTYPES) -> Prototypes:  # fmt: skip
    """PCA of the lower-face codes of every crop (each set (T, 96, 96, 3) uint8), k-means on
    them, each cluster's mean crop. Fewer frames than `count` make as many prototypes."""
    codes = np.concatenate([lower_face(c) for c in crop_sets])
    count = min(count, len(codes))
    mean = codes.mean(axis=0)
    _, _, vt = np.linalg.svd(codes[rng.choice(len(codes), min(len(codes), PCA_SAMPLE),
                                               replace=False)] - mean, full_matrices=False)
    basis = vt[:PCA_DIMS]
    sample = rng.choice(len(codes), min(len(codes), KMEANS_SAMPLE), replace=False)
    centres, _ = kmeans((codes[sample] - mean) @ basis.T, count, rng)
    found = Prototypes(centres, mean, basis, np.zeros((count, 96, 96, 3), np.float32))
    sums = np.zeros((count, 96, 96, 3))
    counts = np.zeros(count)
    for crops in crop_sets:
        label = found.assign(crops)
        for j in range(count):
            sums[j] += crops[label == j].astype(np.float64).sum(axis=0)
            counts[j] += np.count_nonzero(label == j)
    mouths = (sums / np.maximum(counts, 1)[:, None, None, None]).astype(np.float32)
    return Prototypes(centres, mean, basis, mouths)


class SoundToMemory(nn.Module):
    """(B, 1, N_MELS, CONTEXT_MEL) log-mel -> (B, prototypes) logits."""

    def __init__(self, prototypes: int = PROTOTYPES) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = 1
        for cout, stride in ((32, (2, 1)), (64, (2, 2)), (96, (2, 2)), (128, (2, 2))):
            layers += [nn.Conv2d(cin, cout, 3, stride, 1), nn.BatchNorm2d(cout), nn.ReLU()]
            cin = cout
        self.net = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                 nn.Linear(cin, prototypes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


@dataclass(frozen=True)
class Heard:
    """What the sound network learns from in one clip or video: its sound frames
    (core/face_memory.sound_frames), the video frames (indices at `fps`) it learns and the
    prototype each of them is closest to."""

    sound: np.ndarray
    frames: np.ndarray
    labels: np.ndarray
    fps: float


@dataclass(frozen=True)
class NetworkProgress:
    step: int
    seconds: float
    budget: float
    loss: float


def train_network(examples: list[Heard], budget: float, seed: int,
                  prototypes: int = PROTOTYPES,
                  progress: Callable[[NetworkProgress], None] | None = None,
                  report_every: float = 10.0, rng: np.random.Generator | None = None,
                  steps: int | None = None) -> tuple[SoundToMemory, dict]:
    """The sound network trained for `budget` wall-clock seconds, or `steps` steps when given
    (the same run on any machine), a cosine learning rate over either, batches of random
    frames of random examples drawn with `rng` (default: seeded by `seed`); returns it in eval
    mode and the run's record (steps, a loss curve)."""
    torch.manual_seed(seed)
    rng = rng if rng is not None else np.random.default_rng(seed)
    examples = [e for e in examples if len(e.frames)]
    if not examples:
        raise ValueError("no frames to learn the memory from")
    model = SoundToMemory(prototypes)
    opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = nn.CrossEntropyLoss()
    start, step, curve, running = time.perf_counter(), 0, [], None
    last_report = start
    model.train()
    while True:
        elapsed = time.perf_counter() - start
        done = elapsed / budget if steps is None else step / steps
        if done >= 1:
            break
        for group in opt.param_groups:
            group["lr"] = float(LEARNING_RATE * 0.5 * (1 + np.cos(np.pi * done)))
        x, y = [], []
        for c in rng.integers(len(examples), size=BATCH):
            e = examples[c]
            i = int(rng.integers(len(e.frames)))
            x.append(sound_context(e.sound, int(e.frames[i]), e.fps))
            y.append(int(e.labels[i]))
        loss = loss_fn(model(torch.from_numpy(np.stack(x))), torch.tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if step % 100 == 0:
            curve.append({"step": step, "seconds": round(elapsed), "loss": round(running, 4)})
        now = time.perf_counter()
        if progress is not None and (step == 1 or now - last_report >= report_every):
            progress(NetworkProgress(step, now - start, budget, running))
            last_report = now
    return model.eval(), {"steps": step, "curve": curve}


def fold_blocks(frames: list[np.ndarray], fps: float) -> list[np.ndarray]:
    """Each video's training frames (their frame indices) -> the fold (0..FOLDS-1) of each:
    blocks of FOLD_BLOCK_SECONDS taken in turn over all the videos, shorter blocks when the
    footage is too short for every fold to get one."""
    total = sum(len(f) for f in frames)
    block = max(1, min(int(FOLD_BLOCK_SECONDS * fps), total // FOLDS))
    out, first = [], 0
    for f in frames:
        out.append(((first + np.arange(len(f))) // block) % FOLDS)
        first += -(-len(f) // block) * block  # each video starts a new block
    return out


def as_memory(model: SoundToMemory, prototypes: np.ndarray) -> MouthMemory:
    """A trained network and its (K, 96, 96, 3) uint8 prototypes as the renderer's memory,
    the network run by torch (to make the generator's training inputs)."""

    @torch.no_grad()
    def network(x: np.ndarray) -> np.ndarray:
        return model(torch.from_numpy(x)).numpy()

    return MouthMemory(network, prototypes)


def export_network(model: SoundToMemory) -> bytes:
    """The sound network as ONNX (dynamic batch), what a .voxface carries."""
    buffer = io.BytesIO()
    torch.onnx.export(model.eval(), (torch.zeros(1, 1, N_MELS, CONTEXT_MEL),), buffer,
                      input_names=["sound"], output_names=["logits"],
                      dynamic_axes={"sound": {0: "n"}, "logits": {0: "n"}}, opset_version=17,
                      dynamo=False)
    return buffer.getvalue()


def load_network(path: object, prototypes: int = PROTOTYPES) -> SoundToMemory:
    """A network saved with torch.save(model.state_dict(), path), in eval mode."""
    model = SoundToMemory(prototypes)
    model.load_state_dict(torch.load(path, weights_only=True))
    return model.eval()


def leaving_out(examples: list[Heard], folds: list[np.ndarray], fold: int) -> list[Heard]:
    """The examples without the frames of `fold` (fold_blocks' numbering, one array each)."""
    return [Heard(e.sound, e.frames[f != fold], e.labels[f != fold], e.fps)
            for e, f in zip(examples, folds, strict=True)]


def unseen_mouths(memories: list[MouthMemory], folds: list[np.ndarray],
                  examples: list[Heard]) -> list[BlendedMouths]:  # fmt: skip
    """Each example's frames' memory mouths (T, 96, 96, 3), a frame of fold k weighed by
    memories[k], the network that left that fold out (the memories share their prototypes);
    not eased, as the demo face's recipe trained its generator."""
    out = []
    for e, fold in zip(examples, folds, strict=True):
        weights = np.empty((len(e.frames), len(memories[0].prototypes)), np.float32)
        for k, memory in enumerate(memories):
            pick = fold == k
            if pick.any():
                weights[pick] = memory.sound_weights(e.sound, e.frames[pick], e.fps)
        out.append(memories[0].mouths_of(weights))
    return out
