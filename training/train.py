"""Train the audio-to-face network on the arrays from training.features, on the CPU, for a
fixed time budget (the schedule follows the clock, so the recipe's cost is known upfront).

    python -m training.train --minutes 50 [--prototypes 48] [--seed 0] --out build/training/run

Each step draws crops from the groups with fixed shares (synthetic English, other
languages, FACEGOOD, real English). The held-out FACEGOOD clip is scored (r_gap) as it goes."""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from voxrig.core.names import ARKIT52, BILABIALS
from voxrig.core.rig import LOWER_LIP_INNER, UPPER_LIP_INNER, load_rig, mouth_signals

from .features import CHANNEL_INDEX, CHANNELS, FACEGOOD_CHANNELS, GROUPS, HELD_OUT_FACEGOOD, PHONES
from .model import AudioToFace, ModelConfig

SHARES = {"synthetic-en": 0.47, "synthetic-other": 0.17, "facegood": 0.2, "real-en": 0.06,
          "grid": 0.12, "non-speech": 0.0}  # non-speech: sounds at rest (fine-tune)
LIPS = np.arange(48, 68)  # inner and outer lip landmarks


@dataclass
class Group:
    mel: np.ndarray
    weights: np.ndarray
    phones: np.ndarray
    starts: np.ndarray  # utterance start frames
    ends: np.ndarray
    mask: np.ndarray  # (30,) channels the targets define
    lips: np.ndarray  # (frames,) tracked real lip gap (GRID), NaN where none


def load_groups(features: Path, held_out: str = HELD_OUT_FACEGOOD) -> dict[str, Group]:
    """The feature groups, without the utterances of the held-out FACEGOOD clip (their
    frames are dropped, so neither the sampler nor the input statistics see them)."""
    groups = {}
    for name in GROUPS:
        path = features / f"{name}.npz"
        if not path.exists():
            continue
        z = np.load(path)
        mel, weights, phones = z["mel"], z["weights"], z["phones"]
        lips = z["lips"] if "lips" in z.files else np.full(len(mel), np.nan, np.float16)
        offsets = z["offsets"]
        if "sources" in z.files and held_out in set(z["sources"]):
            keep = z["sources"] != held_out
            frames = np.concatenate([np.arange(a, b) for a, b, k
                                     in zip(offsets[:-1], offsets[1:], keep, strict=True) if k])
            mel, weights, phones, lips = mel[frames], weights[frames], phones[frames], lips[frames]
            lengths = np.diff(offsets)[keep]
            offsets = np.concatenate([[0], np.cumsum(lengths)])
        mask = np.ones(len(CHANNELS), np.float32)
        if name == "facegood":
            mask = np.array([c in FACEGOOD_CHANNELS for c in CHANNELS], np.float32)
        groups[name] = Group(mel, weights, phones, offsets[:-1], offsets[1:], mask, lips)
    return groups


def rig_matrix() -> np.ndarray:
    """(30, 204): keypoint displacement (cm) per unit of each output channel. The ICT rig
    is linear in its weights, so keypoints = clip(weights) @ this matrix, exactly."""
    rig = load_rig()
    full = rig.arkit_to_ict @ rig.landmark_deltas.reshape(len(rig.expression_names), -1)
    return full[CHANNEL_INDEX].astype(np.float32)


def statistics(groups: dict[str, Group], rig: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    mels, weights = [], []
    for g in groups.values():
        pick = rng.choice(len(g.mel), size=min(len(g.mel), 200_000), replace=False)
        mels.append(g.mel[pick].astype(np.float32))
        weights.append(g.weights[pick].astype(np.float32))
    mel = np.concatenate(mels)
    kp = np.clip(np.concatenate(weights), 0, 1) @ rig
    return {
        "mel_mean": mel.mean(0), "mel_std": mel.std(0) + 1e-3,
        "kp_mean": kp.mean(0), "kp_std": np.maximum(kp.std(0), 1e-3),
    }


def kmeans(x: np.ndarray, k: int, seed: int, iterations: int = 30) -> np.ndarray:
    """Lloyd's k-means with k-means++ seeding: (n, d) -> (k, d) centres."""
    rng = np.random.default_rng(seed)
    centres = [x[rng.integers(len(x))]]
    d2 = np.sum((x - centres[0]) ** 2, axis=1)
    for _ in range(1, k):
        centres.append(x[rng.choice(len(x), p=d2 / d2.sum())])
        d2 = np.minimum(d2, np.sum((x - centres[-1]) ** 2, axis=1))
    c = np.stack(centres)
    for _ in range(iterations):
        dist = (x**2).sum(1)[:, None] - 2 * x @ c.T + (c**2).sum(1)[None]
        label = dist.argmin(1)
        for j in range(k):
            members = x[label == j]
            if len(members):
                c[j] = members.mean(0)
    return c


def prototypes(groups: dict[str, Group], k: int, seed: int) -> np.ndarray:
    """K mouth poses (30 channels) from real artist animation (FACEGOOD) and the phonetic
    animator's poses on synthetic speech, equally represented."""
    rng = np.random.default_rng(seed)
    pools = []
    for name in ("facegood", "synthetic-en", "synthetic-other"):
        if name in groups:
            w = groups[name].weights
            pools.append(w[rng.choice(len(w), size=min(len(w), 30_000), replace=False)])
    x = np.clip(np.concatenate(pools).astype(np.float32), 0, 1)
    return kmeans(x, k, seed)


class Sampler:
    def __init__(self, groups: dict[str, Group], length: int, seed: int,
                 shares: dict[str, float], masking: float = 0.0,
                 fill: np.ndarray | None = None) -> None:
        self.groups, self.length = groups, length
        self.rng = np.random.default_rng(seed)
        names = [n for n in shares if n in groups and shares[n] > 0]
        shares = np.array([shares[n] for n in names])
        self.names, self.shares = names, shares / shares.sum()
        self.masking = masking  # share of crops whose input is partly masked
        self.fill = fill  # per-band mean log-mel: what a masked cell shows

    def _mask_input(self, mel: np.ndarray) -> None:
        """Hide two bands of up to 10 mel bins and two spans of up to 40 ms (SpecAugment-style):
        real recordings lose bands and moments to codecs, noise and rooms, and the model
        must then read the mouth from what is left around them."""
        for _ in range(2):
            width = int(self.rng.integers(0, 11))
            low = int(self.rng.integers(0, 80 - width + 1))
            mel[:, low : low + width] = self.fill[low : low + width]
        for _ in range(2):
            span = int(self.rng.integers(0, 5))
            start = int(self.rng.integers(0, len(mel) - span + 1))
            mel[start : start + span] = self.fill

    def batch(self, size: int, phone_keep: float = 0.5) -> tuple[torch.Tensor, ...]:
        L = self.length
        mel = np.zeros((size, L, 80), np.float32)
        weights = np.zeros((size, L, len(CHANNELS)), np.float32)
        phones = np.zeros((size, L, len(PHONES)), np.float32)
        mask = np.zeros((size, len(CHANNELS)), np.float32)
        heard = np.full((size, L), -1, np.int64)  # phone ids, -1 where not known
        lips = np.full((size, L), np.nan, np.float32)  # tracked real lip gap, if any
        told = np.zeros(size, bool)  # crops given their phones through FiLM
        for b in range(size):
            g = self.groups[self.names[self.rng.choice(len(self.names), p=self.shares)]]
            u = self.rng.integers(len(g.starts))
            start, end = int(g.starts[u]), int(g.ends[u])
            s = start + int(self.rng.integers(max(1, end - start - L)))
            n = min(L, end - s)
            mel[b, :n] = g.mel[s : s + n]
            mel[b, n:] = g.mel[s + n - 1]  # hold the last frame (rare: short utterances)
            weights[b, :n] = g.weights[s : s + n]
            weights[b, n:] = g.weights[s + n - 1]
            ids = g.phones[s : s + n].astype(np.int64)
            if self.rng.random() < phone_keep and (ids >= 0).all():
                phones[b, np.arange(n), ids] = 1.0
                told[b] = True
            heard[b, :n] = ids
            lips[b, :n] = g.lips[s : s + n]
            mask[b] = g.mask
            if self.masking and self.rng.random() < self.masking:
                self._mask_input(mel[b])
        return tuple(torch.from_numpy(a)
                     for a in (mel, weights, phones, mask, heard, told, lips))


class MouthGeometry:
    """The lips of weights through the rig, in mm, made once per run: the lip gap as the
    metrics measure it (the rig is linear, so it is one column of the (30, 204) matrix) and
    the lip landmarks' offsets."""

    def __init__(self, rig: torch.Tensor) -> None:
        self.gap0 = float(mouth_signals(np.zeros((1, len(ARKIT52)), np.float32))[0][0])
        self.gap = (rig[:, UPPER_LIP_INNER * 3 + 1] - rig[:, LOWER_LIP_INNER * 3 + 1]) * 10.0
        self.lips = rig.reshape(len(CHANNELS), 68, 3)[:, LIPS].reshape(len(CHANNELS), -1) * 10.0

    def gap_mm(self, w: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.gap0 + w.clamp(0, 1) @ self.gap)


# Event margins (mm): where the target closes the lips for P/B/M or opens them past the
# metric's thresholds (2 and 6 mm), a prediction that stops short of these is pulled further.
CLOSED, OPEN = 1.5, 6.5
BILABIAL_IDS = torch.tensor([PHONES.index(p) for p in sorted(BILABIALS)])


def event_loss(w: torch.Tensor, target: torch.Tensor, ids: torch.Tensor, m: MouthGeometry
               ) -> torch.Tensor:  # fmt: skip
    """Hinge terms that count only the side of an error a viewer (and the event metric)
    notices: lips that should meet for a P, B or M but stay apart, a jaw that should open but
    stays shut. Plain L1 lets an unsure model average a closure away. The closure term is
    only for bilabials (`ids`, the phone of each frame): over rest and pauses it would also
    forbid the mouth to start opening before a voice does, which made live onsets 20 ms late.
    (A third term for rounding was tried and dropped: it narrowed the mouth on spread vowels
    too, see the model card.)"""
    gap, gap_true = m.gap_mm(w), m.gap_mm(target)
    bilabial = torch.isin(ids, BILABIAL_IDS)
    terms = []  # each averaged over the frames where it applies
    for where, short in ((bilabial & (gap_true <= CLOSED), torch.relu(gap - CLOSED)),
                         (gap_true >= OPEN, torch.relu(OPEN - gap))):
        terms.append((short * where).sum() / where.sum().clamp(min=1))
    return sum(terms)


REAL_LIPS_MIN = 0.5  # share of a crop's frames that must be tracked for the real-lip term


def real_lips_loss(w: torch.Tensor, tracked: torch.Tensor, m: MouthGeometry) -> torch.Tensor:
    """1 - Pearson r between the predicted lip gap (mm, through the rig) and a real
    speaker's tracked one, per crop, over the tracked frames: the tracking has its own scale
    (a share of the eye-corner distance), so only the shape of the motion is asked for —
    what the GRID bench measures. Crops with too little tracking do not count."""
    ok = torch.isfinite(tracked)
    use = ok.float().mean(dim=1) >= REAL_LIPS_MIN
    if not bool(use.any()):
        return w.sum() * 0
    gap, true, ok = m.gap_mm(w)[use], torch.nan_to_num(tracked[use]), ok[use].float()
    count = ok.sum(dim=1).clamp(min=2)
    mean_p = (gap * ok).sum(1, keepdim=True) / count[:, None]
    mean_t = (true * ok).sum(1, keepdim=True) / count[:, None]
    dp, dt = (gap - mean_p) * ok, (true - mean_t) * ok
    r = (dp * dt).sum(1) / ((dp**2).sum(1).sqrt() * (dt**2).sum(1).sqrt() + 1e-6)
    return (1.0 - r).mean()


def losses(model: AudioToFace, batch: tuple[torch.Tensor, ...], rig: torch.Tensor,
           geometry: MouthGeometry) -> dict[str, torch.Tensor]:
    mel, target, phones, mask, heard, told, *rest = batch
    tracked = rest[0] if rest else None
    d = model.config.delay
    code, _ = model.encode(mel, phones, *model.zero_caches(len(mel)))
    code = code[:, d:]  # output t describes input frame t - delay
    w, kp, _ = model.decode(code)
    target = target[:, : target.shape[1] - d]
    ids = heard[:, : heard.shape[1] - d]
    m = mask[:, None, :]
    kp_true = (target.clamp(0, 1) @ rig - model.kp_mean) / model.kp_std
    lip_err = (w.clamp(0, 1) - target) @ geometry.lips
    gap_err = (w.clamp(0, 1) - target) @ geometry.gap
    dw, dt = w[:, 1:] - w[:, :-1], target[:, 1:] - target[:, :-1]
    out = {
        "weights": (torch.abs(w - target) * m).sum() / (m.sum() * w.shape[1]),
        "keypoints": F.l1_loss(kp, kp_true),
        "lips_mm": torch.abs(lip_err).mean(),
        "gap_mm": torch.abs(gap_err).mean(),
        "velocity": (torch.abs(dw - dt) * m).sum() / (m.sum() * dw.shape[1]) * 10.0
        + F.l1_loss(kp[:, 1:] - kp[:, :-1], kp_true[:, 1:] - kp_true[:, :-1]),
        "events": event_loss(w, target, ids, geometry),
    }
    if tracked is not None:
        out["real_lips"] = real_lips_loss(w, tracked[:, : tracked.shape[1] - d], geometry)
    if model.config.phone_head:  # named only where FiLM did not already say it
        unsaid = torch.where(told[:, None], torch.full_like(ids, -1), ids)
        logits = model.phones(code)
        out["phones"] = (F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                         unsaid.reshape(-1), ignore_index=-1)
                         if (unsaid >= 0).any() else code.sum() * 0)
    return out


# The shipped model's weights (docs/MODEL_CARD.md "Losses"); the recipe relies on these defaults.
LOSS_WEIGHTS = {"weights": 1.0, "keypoints": 0.3, "lips_mm": 0.15, "gap_mm": 0.15,
                "velocity": 0.5, "events": 0.3, "phones": 0.2, "real_lips": 0.3}


def facegood_check(model: AudioToFace, held_out: str) -> dict[str, float]:
    """r_gap & co. of the held-out FACEGOOD clip, exactly as the bench computes them."""
    from bench import metrics
    from bench.datasets import facegood_clips
    from voxrig.core.audio import load_audio
    from voxrig.core.mel import log_mel

    clip = next(c for c in facegood_clips() if c.name == held_out)
    mel = torch.from_numpy(log_mel(load_audio(clip.audio).samples))[None]
    d = model.config.delay
    mel = torch.cat([mel, mel[:, -1:].repeat(1, d, 1)], dim=1)
    with torch.no_grad():
        w, *_ = model(mel, torch.zeros(1, mel.shape[1], len(PHONES)), *model.zero_caches(1))
    full = np.zeros((w.shape[1] - d, 52), np.float32)
    full[:, CHANNEL_INDEX] = w[0, d:].clamp(0, 1).numpy()
    m = metrics.facegood_metrics(full, 100.0, clip.weights, clip.fps)
    return {"r_gap": round(m.r_gap, 4), "lag": round(m.lag, 3), "lve": round(m.lve, 3)}


def train(features: Path, out: Path, minutes: float, config: ModelConfig, seed: int,
          batch: int = 24, length: int = 256, lr: float = 2e-3, threads: int = 2,
          init: Path | None = None, non_speech: float = 0.0, facegood: float | None = None,
          ema: float = 0.0, loss_weights: dict[str, float] | None = None,
          masking: float = 0.0, grid: float | None = None,
          held_out: str = HELD_OUT_FACEGOOD, steps: int | None = None) -> None:
    """Train from scratch, or (`init`) go on from a checkpoint: a fine-tune keeps its
    statistics and prototypes and only changes what it learns from. The budget is `minutes`
    of wall clock, or with `steps` that many steps (the same run on a busy machine)."""
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    out.mkdir(parents=True, exist_ok=True)
    groups = load_groups(features, held_out)
    rig_np = rig_matrix()
    model = AudioToFace(config)
    if init is not None:
        model.load_state_dict(torch.load(init, map_location="cpu")["state"])
    else:
        stats = statistics({k: g for k, g in groups.items() if k != "non-speech"}, rig_np, seed)
        for key, value in stats.items():
            getattr(model, key).copy_(torch.from_numpy(value))
        if config.prototypes:
            centres = prototypes(groups, config.prototypes, seed)
            kp = (centres @ rig_np - stats["kp_mean"]) / stats["kp_std"]
            model.memory.data.copy_(torch.from_numpy(np.concatenate([centres, kp], 1)))
    rig = torch.from_numpy(rig_np)
    geometry = MouthGeometry(rig)
    weights_of = {**LOSS_WEIGHTS, **(loss_weights or {})}
    shares = {**SHARES, "non-speech": non_speech}
    if facegood is not None:
        shares["facegood"] = facegood
    if grid is not None:
        shares["grid"] = grid
    sampler = Sampler(groups, length, seed, shares, masking, model.mel_mean.numpy().copy())
    # An exponential moving average of the weights (if ema > 0) is what gets saved: it
    # evens out the last steps' noise, which shows as jitter and as over-fitting the few
    # real clips.
    average = {k: v.detach().clone() for k, v in model.state_dict().items()} if ema else None
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    print(f"{sum(p.numel() for p in model.parameters())} parameters; groups "
          + ", ".join(f"{n} {len(g.mel) / 360000:.2f} h" for n, g in groups.items()), flush=True)
    t0 = time.perf_counter()
    budget = minutes * 60.0
    log, step, running = [], 0, {}
    next_check = 0.0

    def progress(elapsed: float) -> float:  # the share of the budget spent
        return step / steps if steps else elapsed / budget

    while (fraction := progress(elapsed := time.perf_counter() - t0)) < 1.0:
        warm = 1.0 if init is not None else min(1.0, step / 200)
        for group in optimiser.param_groups:
            group["lr"] = lr * warm * 0.5 * (1 + math.cos(math.pi * fraction))
        model.train()
        parts = losses(model, sampler.batch(batch), rig, geometry)
        total = sum(weights_of[k] * v for k, v in parts.items())
        optimiser.zero_grad()
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        if average is not None:
            with torch.no_grad():
                for k, v in model.state_dict().items():
                    if v.dtype.is_floating_point:
                        average[k].mul_(ema).add_(v, alpha=1 - ema)
        for k, v in parts.items():
            running[k] = 0.98 * running.get(k, v.item()) + 0.02 * v.item()
        step += 1
        check_due = step % max(1, steps // 15) == 0 if steps else elapsed >= next_check
        if check_due:
            model.eval()
            check = facegood_check(model, held_out)
            row = {"step": step, "minutes": round(elapsed / 60, 1),
                   **{k: round(v, 4) for k, v in running.items()}, **check}
            log.append(row)
            print(json.dumps(row), flush=True)
            next_check = elapsed + max(60.0, budget / 15)
            _save(model, average, out / "model.pt")
    if average is not None:
        model.load_state_dict(average)
    model.eval()
    row = {"step": step, "minutes": round((time.perf_counter() - t0) / 60, 1),
           **{k: round(v, 4) for k, v in running.items()}, **facegood_check(model, held_out)}
    log.append(row)
    print(json.dumps(row), flush=True)
    _save(model, None, out / "model.pt")
    (out / "log.json").write_text(json.dumps({"seed": seed, "minutes": minutes, "steps": steps,
                                              "held_out": held_out,
                                              "config": config.to_dict(),
                                              "loss_weights": weights_of, "log": log},
                                             indent=1))


def _save(model: AudioToFace, average: dict | None, path: Path) -> None:
    state = average if average is not None else model.state_dict()
    torch.save({"config": model.config.to_dict(), "state": state}, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=Path, default=Path("build/training/features"))
    parser.add_argument("--out", type=Path, default=Path("build/training/run"))
    parser.add_argument("--minutes", type=float, default=50.0)
    parser.add_argument("--prototypes", type=int, default=ModelConfig.prototypes,
                        help="mouth-shape memory size (0 = none, as shipped; the ablation: 48)")
    parser.add_argument("--width", type=int, default=96)
    parser.add_argument("--delay", type=int, default=ModelConfig.delay,
                        help="look-ahead in 10 ms frames (the live latency: 9 = 90 ms)")
    parser.add_argument("--steps", type=int, default=None,
                        help="a budget of steps instead of --minutes of wall clock")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--init", type=Path, default=None, help="fine-tune this checkpoint")
    parser.add_argument("--non-speech", type=float, default=0.0,
                        help="share of crops from the non-speech group (rest targets)")
    parser.add_argument("--facegood", type=float, default=None,
                        help="share of crops from FACEGOOD (default: as in SHARES)")
    parser.add_argument("--ema", type=float, default=0.0, help="weight averaging decay")
    parser.add_argument("--masking", type=float, default=0.0,
                        help="share of crops with masked mel bands and moments")
    parser.add_argument("--events", type=float, default=LOSS_WEIGHTS["events"],
                        help="weight of the event hinge loss (P/B/M closures, opening)")
    parser.add_argument("--phone-loss", type=float, default=LOSS_WEIGHTS["phones"],
                        help="weight of the auxiliary phone classifier (adds its head)")
    parser.add_argument("--real-lips", type=float, default=LOSS_WEIGHTS["real_lips"],
                        help="weight of the r loss on GRID's tracked lip gap")
    parser.add_argument("--grid", type=float, default=None,
                        help="share of crops from GRID (default: as in SHARES)")
    parser.add_argument("--held-out", default=HELD_OUT_FACEGOOD,
                        help="FACEGOOD clip left out of training and scored as it goes "
                             "(leave-one-out: each clip in turn)")
    args = parser.parse_args()
    config = ModelConfig(prototypes=args.prototypes, width=args.width,
                         phone_head=args.phone_loss > 0, delay=args.delay)
    if args.init is not None:  # the checkpoint's own architecture
        saved = torch.load(args.init, map_location="cpu")["config"]
        config = ModelConfig(**{**saved, "dilations": tuple(saved["dilations"])})
        if args.phone_loss > 0 and not config.phone_head:
            parser.error(f"--phone-loss needs a phone head, and {args.init} was trained "
                         "without one (--phone-loss 0); fine-tune it with --phone-loss 0")
    train(args.features, args.out, args.minutes, config, args.seed, lr=args.lr,
          threads=args.threads, init=args.init, non_speech=args.non_speech,
          facegood=args.facegood, ema=args.ema, masking=args.masking,
          loss_weights={"events": args.events, "phones": args.phone_loss,
                        "real_lips": args.real_lips}, grid=args.grid,
          held_out=args.held_out, steps=args.steps)


if __name__ == "__main__":
    main()
