"""Training a person's mouth generator (issue 17, seed S0): the small CPU U-Net that draws the
96x96 mouth crop from (the frame's crop with its lower face masked, a closed-mouth reference
crop of the same person, the template image of the target lips) as a change to the reference
crop, its losses, the batches it learns from and a wall-clock training loop that can stop and
resume. Shared by `voxrig train-face` and the GRID recipe (training/face/generator.py), so the
demo face and a user's face are the same model trained the same way.

Needs torch (the 'train' extra): this module imports it at the top, so callers import this
module only when they train."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from . import ssim
from .face_canvas import MOUTH_BOX, MOUTH_SIZE, Similarity, crop, neutral_frames
from .face_memory import BlendedMouths
from .face_render import IN_CHANNELS, model_inputs, mouth_template

WIDTHS = (16, 32, 48, 64)  # at 96, 48, 24, 12 pixels
BATCH = 16
LEARNING_RATE = 1e-3
LEAK = 0.1
GRADIENT_WEIGHT = 1.0
REFERENCE = slice(3, 6)  # the reference crop's channels in the input
MOUTH_ROWS, MOUTH_COLUMNS = slice(16, 60), slice(20, 76)  # lips and jaw in the crop
MOUTH_WEIGHT = 4.0
FILM_HIDDEN = 64
PHONE_DROPOUT = 0.5  # share of S3 training frames given no phones: renders without a transcript


def _block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    # leaky: a run with plain ReLUs (lr 2e-3) died at the start and drew the still mouth
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.LeakyReLU(LEAK, inplace=True),
                         nn.Conv2d(cout, cout, 3, 1, 1), nn.LeakyReLU(LEAK, inplace=True))


class FiLM(nn.Module):
    """Features modulated by a condition vector, h * (1 + gamma(c)) + beta(c), per channel; its
    last layer starts at zero, so a network starts as it would be without it. Without biases
    a zero condition (no transcript) leaves the features as they are."""

    def __init__(self, conditions: int, channels: int, bias: bool = True) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(conditions, FILM_HIDDEN, bias=bias), nn.LeakyReLU(LEAK),
                                 nn.Linear(FILM_HIDDEN, 2 * channels, bias=bias))
        nn.init.zeros_(self.net[-1].weight)
        if bias:
            nn.init.zeros_(self.net[-1].bias)

    def forward(self, h: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.net(c)[:, :, None, None].chunk(2, dim=1)
        return h * (1 + gamma) + beta


class MouthUNet(nn.Module):
    """Encoder of strided 3x3 blocks, nearest-upsampling decoder with skip connections; the
    output is the reference crop plus the drawn change (most of the lower face is the
    reference's already, so training starts from the still mouth, not from grey).

    With `conditions` (S3: the sizes of the sound's and the phones' parts of a frame's
    condition row, core/face_phones.py), the deepest features and the first decoder block's
    are modulated in cascade, first by the sound (the memory's prototype weights), then by the
    phones, each a FiLM, residual around the image features."""

    def __init__(self, widths: tuple[int, ...] = WIDTHS, in_channels: int = IN_CHANNELS,
                 conditions: tuple[int, int] | None = None) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.conditions = conditions
        self.down = nn.ModuleList([_block(in_channels, widths[0])] + [
            _block(a, b, 2) for a, b in zip(widths[:-1], widths[1:], strict=True)])
        self.up = nn.ModuleList([_block(b + a, a) for a, b in
                                 zip(widths[:-1], widths[1:], strict=True)][::-1])
        self.head = nn.Conv2d(widths[0], 3, 1)
        nn.init.zeros_(self.head.weight)  # the first output is the reference crop itself
        nn.init.zeros_(self.head.bias)
        if conditions is not None:
            sound, phones = conditions
            self.film = nn.ModuleList([
                nn.ModuleList([FiLM(sound, width), FiLM(phones, width, bias=False)])
                for width in (widths[-1], widths[-2])])

    def _modulated(self, x: torch.Tensor, level: int, c: torch.Tensor | None) -> torch.Tensor:
        if self.conditions is None or c is None:
            return x
        sound, phones = self.film[level]
        x = sound(x, c[:, :self.conditions[0]])
        return phones(x, c[:, self.conditions[0]:])

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        reference = x[:, REFERENCE]
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
        x = self._modulated(skips.pop(), 0, c)
        for level, block in enumerate(self.up):
            skip = skips.pop()
            x = block(torch.cat([nn.functional.interpolate(x, scale_factor=2.0), skip], 1))
            if level == 0:
                x = self._modulated(x, 1, c)
        return torch.clamp(reference + self.head(x), 0.0, 1.0)


def mouth_crops(frames: Iterable[np.ndarray], sim: Similarity) -> np.ndarray:
    """(T, 96, 96, 3) uint8 mouth crops of a video's frames, each (H, W, 3), held on the canvas
    by its per-frame similarity: what the generator learns to draw. The frames may come one at
    a time (bridge/render/video.stream_frames): 40 minutes of 360x288 video are 19 GB decoded,
    their crops 1.7 GB. Stops at the shorter of the frames and the similarity."""
    return np.stack([crop(f, a, t, MOUTH_BOX, MOUTH_SIZE)
                     for f, a, t in zip(frames, sim.a, sim.t, strict=False)])


def sample_batch(rng: np.random.Generator, crops: list[np.ndarray], mouths: list[np.ndarray],
                 closed: list[np.ndarray], memory: list[BlendedMouths] | None = None,
                 conditions: list[np.ndarray] | None = None,
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """A batch of (input, target, conditions): random frames, each with one of its own clip's
    closed-mouth frames, never itself, as the reference (so the reference's mouth never tells
    the answer), its memory mouth when the footage has them, and its condition row (memory
    weights, then S3's phones) when the footage has those; None without."""
    clips = rng.integers(len(crops), size=BATCH)
    pairs = []
    for c in clips:
        k = int(rng.integers(len(crops[c])))
        others = closed[c][closed[c] != k]
        pairs.append((c, (k, int(rng.choice(others)) if others.size else (k + 1) % len(crops[c]))))
    target = np.stack([crops[c][k] for c, (k, _) in pairs])
    reference = np.stack([crops[c][r] for c, (_, r) in pairs])
    lips = np.stack([mouth_template(mouths[c][k]) for c, (k, _) in pairs])
    remembered = None if memory is None else np.stack([memory[c][k] for c, (k, _) in pairs])
    x = model_inputs(target, reference, lips, memory=remembered)
    y = target.astype(np.float32).transpose(0, 3, 1, 2) / 255
    rows = None if conditions is None else torch.from_numpy(
        np.stack([conditions[c][k] for c, (k, _) in pairs]).astype(np.float32))
    return torch.from_numpy(x), torch.from_numpy(np.ascontiguousarray(y)), rows


def without_phones(rng: np.random.Generator, rows: torch.Tensor, phones: int) -> torch.Tensor:
    """Condition rows with the last `phones` columns zeroed on PHONE_DROPOUT of them: the
    generator learns to draw both with a transcript and without."""
    drop = torch.from_numpy(rng.random(len(rows)) < PHONE_DROPOUT)
    rows = rows.clone()
    rows[drop, rows.shape[1] - phones:] = 0.0
    return rows


def mouth_weights() -> torch.Tensor:
    """(1, 1, 96, 96) pixel weights of the L1: MOUTH_WEIGHT around the lips and jaw, 1 elsewhere
    (the mouth is a twentieth of the crop; unweighted, its loss drowns in the cheeks')."""
    w = torch.ones(1, 1, 96, 96)
    w[..., MOUTH_ROWS, MOUTH_COLUMNS] = MOUTH_WEIGHT
    return w / w.mean()


def loss_terms(out: torch.Tensor, target: torch.Tensor,
               weights: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Weighted L1 on the pixels and L1 on their horizontal and vertical differences."""
    l1 = ((out - target).abs() * weights).mean()
    dx = lambda v: v[..., :, 1:] - v[..., :, :-1]  # noqa: E731
    dy = lambda v: v[..., 1:, :] - v[..., :-1, :]  # noqa: E731
    grad = (dx(out) - dx(target)).abs().mean() + (dy(out) - dy(target)).abs().mean()
    return l1, grad


def ssim_loss(out: torch.Tensor, target: torch.Tensor,
              columns: tuple[int, int] | None = None) -> torch.Tensor:
    """1 - mean SSIM of drawn and real (N, 3, 96, 96) crops on luma, over the full windows
    centred in `columns` (the columns the face draws; all when None): the L1 rewards the mean
    of the mouths the sound allows, which is blurred; SSIM also asks for their contrast and
    structure, which is what the bench's SSIM reads."""
    luma = torch.tensor(ssim.LUMA, dtype=out.dtype).view(1, 3, 1, 1)
    a, b = (out * luma).sum(1, keepdim=True), (target * luma).sum(1, keepdim=True)
    g = torch.from_numpy(ssim.window()).to(out.dtype)
    c1, c2 = ssim.K1 ** 2, ssim.K2 ** 2  # pixels here are 0..1
    blur = lambda v: nn.functional.conv2d(  # noqa: E731
        nn.functional.conv2d(v, g.view(1, 1, -1, 1)), g.view(1, 1, 1, -1))
    mu_a, mu_b = blur(a), blur(b)
    var_a, var_b = blur(a * a) - mu_a ** 2, blur(b * b) - mu_b ** 2
    cov = blur(a * b) - mu_a * mu_b
    score = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)
             / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2)))
    if columns is not None:  # window j is centred on column j + RADIUS
        r = ssim.RADIUS
        score = score[..., max(columns[0] - r, 0):max(columns[1] - r, 1)]
    return 1 - score.mean()


def export(model: MouthUNet, path: str | io.BytesIO) -> None:
    """ONNX with a dynamic batch axis, so the renderer can draw several frames per call; an S3
    model takes each frame's condition row as a second input."""
    model.eval()
    dummy: tuple[torch.Tensor, ...] = (torch.zeros(1, model.in_channels, 96, 96),)
    names, axes = ["x"], {"x": {0: "n"}, "mouth": {0: "n"}}
    if model.conditions is not None:
        dummy += (torch.zeros(1, sum(model.conditions)),)
        names.append("conditions")
        axes["conditions"] = {0: "n"}
    torch.onnx.export(model, dummy, path, input_names=names, output_names=["mouth"],
                      dynamic_axes=axes, opset_version=17, dynamo=False)


@dataclass(frozen=True)
class Footage:
    """One person's training material: per video, the tracked frames' mouth crops (T, 96, 96,
    3) uint8, the baked mouth points on the canvas (T, 9) complex and the indices of the
    closed-mouth frames (the references); the last frames of each video held out to judge;
    and, to train a face with S1's memory, each training and held-out frame's memory mouth
    (T, 96, 96, 3).
    """

    crops: list[np.ndarray]
    mouths: list[np.ndarray]
    closed: list[np.ndarray]
    held_crops: list[np.ndarray]
    held_mouths: list[np.ndarray]
    memory: list[BlendedMouths] | None = None  # read like (T, 96, 96, 3) uint8 arrays
    held_memory: list[BlendedMouths] | None = None
    conditions: list[np.ndarray] | None = None  # S3: each training frame's condition row

    @property
    def frames(self) -> int:
        return int(sum(len(c) for c in self.crops))

    @property
    def held_frames(self) -> int:
        return int(sum(len(c) for c in self.held_crops))


@dataclass(frozen=True)
class VideoSplit:
    """One video's tracked frames split in time (split_video): crops, mouth points and
    closed-mouth frames to train on, crops and mouth points to judge, and which of the
    video's frames each of them is (the memory hears the sound at those frames)."""

    crops: np.ndarray
    mouths: np.ndarray
    closed: np.ndarray
    held_crops: np.ndarray
    held_mouths: np.ndarray
    frames: np.ndarray
    held_frames: np.ndarray


def split_video(crops: np.ndarray, mouths: np.ndarray, landmarks: np.ndarray,
                held_share: float) -> VideoSplit:
    """One video's tracked frames split in time: the first (1 - held_share) to train on (with
    their closed-mouth frames), the last held_share to judge (never seen in training, and not
    next to a training frame but at the end)."""
    keep = np.isfinite(landmarks).all(axis=(1, 2)) & np.isfinite(mouths).all(axis=1)
    frames = np.flatnonzero(keep)
    crops, mouths, landmarks = crops[keep], mouths[keep], landmarks[keep]
    cut = len(crops) - int(round(held_share * len(crops)))
    return VideoSplit(crops[:cut], mouths[:cut], neutral_frames(landmarks[:cut]), crops[cut:],
                      mouths[cut:], frames[:cut], frames[cut:])


@dataclass
class Progress:
    """Where a training run is: steps done, wall-clock seconds spent (over every resumed
    session), the budget, and the running loss over the still mouth's (below 1: better than
    not moving)."""

    step: int
    seconds: float
    budget: float
    l1_vs_still: float | None


def new_run(seed: int, in_channels: int = IN_CHANNELS,
            conditions: tuple[int, int] | None = None,
            widths: tuple[int, ...] = WIDTHS) -> dict:
    """The state of a run that has not started: the model, its optimiser and both random
    generators, seeded, so the same seed on the same footage starts the same."""
    torch.manual_seed(seed)
    model = MouthUNet(widths, in_channels=in_channels, conditions=conditions)
    opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    return {"model": model, "opt": opt, "rng": np.random.default_rng(seed), "step": 0,
            "seconds": 0.0, "running": None, "curve": []}


def state_dict(run: dict) -> dict:
    """What a checkpoint keeps of a run (plain tensors and numbers: torch.save can hold it)."""
    return {"model": run["model"].state_dict(), "opt": run["opt"].state_dict(),
            "rng": run["rng"].bit_generator.state, "torch_rng": torch.get_rng_state(),
            "step": run["step"], "seconds": run["seconds"], "running": run["running"],
            "curve": run["curve"]}


def load_run(saved: dict, seed: int) -> dict:
    """A run continued from state_dict's checkpoint (a face with or without a memory or S3's
    phones: the first layer says how many input channels, the FiLMs' how many conditions)."""
    weights = saved["model"]
    film = [weights.get(f"film.0.{k}.net.0.weight") for k in (0, 1)]
    conditions = None if film[0] is None else (int(film[0].shape[1]), int(film[1].shape[1]))
    run = new_run(seed, int(weights["down.0.0.weight"].shape[1]), conditions)
    run["model"].load_state_dict(saved["model"])
    run["opt"].load_state_dict(saved["opt"])
    run["rng"].bit_generator.state = saved["rng"]
    torch.set_rng_state(saved["torch_rng"])
    for key in ("step", "seconds", "running", "curve"):
        run[key] = saved[key]
    return run


# an extra loss term: (model, the run's random generator, steps done, the step's drawn crops,
# their real crops) -> a scalar tensor to add
ExtraLoss = Callable[[nn.Module, np.random.Generator, int, torch.Tensor, torch.Tensor],
                     torch.Tensor]


def train(run: dict, footage: Footage, budget: float,
          save: Callable[[dict], None] | None = None,
          progress: Callable[[Progress], None] | None = None,
          save_every: float = 30.0, report_every: float = 10.0,
          extra: ExtraLoss | None = None) -> dict:
    """Train `run` on the footage until `budget` wall-clock seconds have been spent on it
    (counting earlier sessions), the learning rate on a cosine over the budget: the recipe of
    training/face/generator.py. `save(state_dict(run))` is called every save_every seconds,
    at the end, and when the loop is interrupted (Ctrl-C, SIGTERM), so a rerun resumes.
    `extra` adds a loss of the recipe's own each step (the GRID recipe's lip-sync and
    adversarial losses)."""
    model, opt, rng = run["model"], run["opt"], run["rng"]
    weights = mouth_weights()
    model.train()
    session = time.perf_counter() - run["seconds"]
    last_save = last_report = time.perf_counter()
    try:
        while (elapsed := time.perf_counter() - session) < budget:
            for group in opt.param_groups:
                # a Python float: numpy's would make the checkpoint unloadable (weights_only)
                group["lr"] = float(LEARNING_RATE * 0.5 * (1 + np.cos(np.pi * elapsed / budget)))
            x, y, rows = sample_batch(rng, footage.crops, footage.mouths, footage.closed,
                                      footage.memory, footage.conditions)
            if rows is not None:
                rows = without_phones(rng, rows, model.conditions[1])
            drawn = model(x, rows)
            l1, grad = loss_terms(drawn, y, weights)
            still = loss_terms(x[:, REFERENCE], y, weights)[0].item()
            total = l1 + GRADIENT_WEIGHT * grad
            if extra is not None:
                total = total + extra(model, rng, run["step"], drawn, y)
            opt.zero_grad()
            total.backward()
            opt.step()
            run["step"] += 1
            run["seconds"] = time.perf_counter() - session
            ratio = l1.item() / still
            run["running"] = ratio if run["running"] is None \
                else 0.98 * run["running"] + 0.02 * ratio
            if run["step"] % 50 == 0:
                run["curve"].append({"step": run["step"], "seconds": round(run["seconds"]),
                                     "l1_vs_still": round(run["running"], 4)})
            now = time.perf_counter()
            if progress is not None and (run["step"] == 1 or now - last_report >= report_every):
                progress(Progress(run["step"], run["seconds"], budget, run["running"]))
                last_report = now
            if save is not None and now - last_save >= save_every:
                save(state_dict(run))
                last_save = now
    finally:
        if save is not None:
            save(state_dict(run))
    return run


def validate(model: nn.Module, footage: Footage) -> tuple[float, float]:
    """(generator L1, still-mouth L1) on the held-out frames, the loss's weighted L1: each
    frame drawn from its video's first closed-mouth training frame as the reference (as render
    draws from the person's closed-mouth crop), against the reference itself as the answer."""
    weights = mouth_weights()
    model.eval()
    drawn, still, count = 0.0, 0.0, 0
    memory = footage.held_memory or [None] * len(footage.held_crops)
    with torch.no_grad():
        for crops, mouths, train, closed, remembered in zip(
                footage.held_crops, footage.held_mouths, footage.crops, footage.closed, memory,
                strict=True):  # fmt: skip
            for k in range(0, len(crops), BATCH):
                target = crops[k:k + BATCH]
                reference = np.repeat(train[closed[0]][None], len(target), axis=0)
                lips = np.stack([mouth_template(m) for m in mouths[k:k + BATCH]])
                x = torch.from_numpy(model_inputs(
                    target, reference, lips,
                    memory=None if remembered is None else remembered[k:k + BATCH]))
                y = torch.from_numpy(np.ascontiguousarray(
                    target.astype(np.float32).transpose(0, 3, 1, 2) / 255))
                n = len(target)
                drawn += n * loss_terms(model(x), y, weights)[0].item()
                still += n * loss_terms(x[:, REFERENCE], y, weights)[0].item()
                count += n
    return drawn / max(count, 1), still / max(count, 1)
