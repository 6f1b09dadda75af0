"""S0's GAN loss for the mouth generator (issue 17): a patch critic that tells real mouths
from drawn ones, trained alongside the generator, whose verdict the generator is asked to
fool. Why: an L1 generator draws the mean of the mouths that fit the template, which is
soft (no teeth, blurred lip edges); a critic that sees 38-pixel patches of the lips and jaw
punishes the blur the L1 accepts.

Used by training/face/generator.py (`--gan-weight`) as one of face_train.train's extra
losses: each step it takes the step's own drawn and real crops, updates the critic once on
them, then returns the generator's loss against the updated critic."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from voxrig.core.face_train import MOUTH_COLUMNS, MOUTH_ROWS

CRITIC_WIDTHS = (32, 64, 128)  # 4x4 stride-2 convolutions: 44x56 -> 5x7 patches
CRITIC_LEARNING_RATE = 2e-4
CRITIC_BETAS = (0.5, 0.999)  # the usual GAN Adam: a short memory of the critic's gradients
GAN_START = 2000  # steps of L1 alone first, as the sync loss (the still mouth is too easy)


class PatchCritic(nn.Module):
    """(B, 3, h, w) mouth boxes in [0, 1] -> (B, 1, h', w') logits, one per patch."""

    def __init__(self, widths: tuple[int, ...] = CRITIC_WIDTHS) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = 3
        for cout in widths:
            layers += [nn.Conv2d(cin, cout, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True)]
            cin = cout
        layers.append(nn.Conv2d(cin, 1, 3, 1, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x * 2 - 1)


def mouth_box(crops: torch.Tensor) -> torch.Tensor:
    """The lips and jaw of (B, 3, 96, 96) crops: where the generator draws something new."""
    return crops[..., MOUTH_ROWS, MOUTH_COLUMNS]


class AdversarialLoss:
    """The non-saturating GAN loss, times `weight`, from step `start` on; the critic learns
    from the same step's real and drawn mouths just before."""

    def __init__(self, weight: float, start: int = GAN_START, seed: int = 0) -> None:
        torch.manual_seed(seed)
        self.weight, self.start = weight, start
        self.critic = PatchCritic()
        self.opt = torch.optim.Adam(self.critic.parameters(), lr=CRITIC_LEARNING_RATE,
                                    betas=CRITIC_BETAS)
        self.running_critic: float | None = None  # the critic's loss: ln 4 = 1.39 is chance
        self.running: float | None = None  # the generator's

    def __call__(self, model: nn.Module, rng: np.random.Generator, step: int,
                 drawn: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if step < self.start:
            return torch.zeros(())
        real, fake = mouth_box(target), mouth_box(drawn)
        self.critic.requires_grad_(True)
        critic_loss = (nn.functional.softplus(-self.critic(real)).mean()
                       + nn.functional.softplus(self.critic(fake.detach())).mean())
        self.opt.zero_grad()
        critic_loss.backward()
        self.opt.step()
        self.critic.requires_grad_(False)  # the generator's loss moves the generator only
        loss = nn.functional.softplus(-self.critic(fake)).mean()
        self.running_critic = _smooth(self.running_critic, critic_loss.item())
        self.running = _smooth(self.running, loss.item())
        return self.weight * loss


def _smooth(running: float | None, value: float) -> float:
    return value if running is None else 0.98 * running + 0.02 * value
