"""The neural audio-to-face network (see docs/MODEL_CARD.md for why each part is there).

    log-mel (80 x 10 ms) --norm--> causal conv --FiLM(phones)--> residual dilated causal
    conv blocks (LayerNorm, GELU, 1x1) --skip--> code --+--> softmax over K mouth prototypes
                                                        |    (weighted sum = memory)
                                                        +--> residual head
    output = memory + residual: jaw/mouth/cheek ARKit channels and normalised keypoints

Every convolution is causal and keeps its own input history in an explicit cache, so the
very same graph runs a whole file at once (zero caches) or 10 ms at a time (caches carried
from call to call). Output frame t describes the face at input frame t - DELAY: the network
hears DELAY frames (90 ms) of the future before it commits to a frame."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

# frames of 10 ms the output lags the input (bounded look-ahead): 5 since 2026-12-04, which
# streams 40 ms sooner than 9 at the same lip sync over seeds (docs/MODEL_CARD.md)
DELAY = 5


@dataclass
class ModelConfig:
    n_mels: int = 80
    n_phones: int = 40
    n_channels: int = 30  # ARKit outputs
    n_keypoints: int = 204  # 68 x 3
    width: int = 96
    dilations: tuple[int, ...] = (1, 2, 4, 8, 16, 1, 2, 4)
    kernel: int = 3
    first_kernel: int = 5
    prototypes: int = 0  # mouth-shape memory size; 0 = none (what ships: it measured better)
    phone_head: bool = False  # training-only phone classifier on the code (not exported)
    delay: int = DELAY
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


class CausalConv(nn.Module):
    """Conv1d over time that only looks back; `cache` holds the last (k-1)*d inputs."""

    def __init__(self, cin: int, cout: int, kernel: int, dilation: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv1d(cin, cout, kernel, dilation=dilation)
        self.history = (kernel - 1) * dilation

    def forward(self, x: torch.Tensor, cache: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        joined = torch.cat([cache, x], dim=2)  # (B, C, history + T)
        return self.conv(joined), joined[:, :, joined.shape[2] - self.history :]


class Block(nn.Module):
    """Pre-norm residual block: LayerNorm over channels (per frame, so streaming is
    exact), dilated causal conv, GELU, 1x1 conv, added back to the input."""

    def __init__(self, width: int, kernel: int, dilation: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.conv = CausalConv(width, width, kernel, dilation)
        self.mix = nn.Conv1d(width, width, 1)

    def forward(self, x: torch.Tensor, cache: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.norm(x.transpose(1, 2)).transpose(1, 2)
        h, cache = self.conv(h, cache)
        return x + self.mix(F.gelu(h)), cache


class AudioToFace(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = c = config
        self.register_buffer("mel_mean", torch.zeros(c.n_mels))
        self.register_buffer("mel_std", torch.ones(c.n_mels))
        self.register_buffer("kp_mean", torch.zeros(c.n_keypoints))
        self.register_buffer("kp_std", torch.ones(c.n_keypoints))
        self.first = CausalConv(c.n_mels, c.width, c.first_kernel)
        self.film = nn.Linear(c.n_phones, 2 * c.width)  # FiLM: phones -> (scale, shift)
        nn.init.zeros_(self.film.weight)
        nn.init.zeros_(self.film.bias)
        self.blocks = nn.ModuleList(Block(c.width, c.kernel, d) for d in c.dilations)
        self.code = nn.Linear(2 * c.width, c.width)  # skip: first features + deep features
        out = c.n_channels + c.n_keypoints
        self.head = nn.Linear(c.width, out)
        if c.prototypes:
            self.choose = nn.Linear(c.width, c.prototypes)
            self.memory = nn.Parameter(torch.zeros(c.prototypes, out))
            nn.init.zeros_(self.head.weight)  # start as pure memory; the residual learns
            nn.init.zeros_(self.head.bias)  # what prototypes cannot express
        if c.phone_head:  # auxiliary task: name the phone heard (makes the code phonetic)
            self.phones = nn.Linear(c.width, c.n_phones)

    def cache_shapes(self) -> list[tuple[int, int]]:
        """(channels, frames) of each cache, in the order forward() takes them."""
        c = self.config
        shapes = [(c.n_mels, self.first.history)]
        shapes += [(c.width, b.conv.history) for b in self.blocks]
        return shapes

    def zero_caches(self, batch: int) -> list[torch.Tensor]:
        return [torch.zeros(batch, ch, n) for ch, n in self.cache_shapes()]

    def encode(self, mel: torch.Tensor, phones: torch.Tensor, *caches: torch.Tensor
               ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """mel (B, T, 80) log-mel, phones (B, T, 40) one-hot or zeros, caches ->
        the code (B, T, width) and the new caches."""
        x = ((mel - self.mel_mean) / self.mel_std).transpose(1, 2)
        new: list[torch.Tensor] = []
        h, cache = self.first(x, caches[0])
        new.append(cache)
        h = F.gelu(h)
        scale, shift = self.film(phones).transpose(1, 2).chunk(2, dim=1)
        h = h * (1.0 + scale) + shift
        first = h
        for block, cache in zip(self.blocks, caches[1:], strict=True):
            h, cache = block(h, cache)
            new.append(cache)
        return F.gelu(self.code(torch.cat([first, h], dim=1).transpose(1, 2))), new

    def decode(self, code: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """code -> weights (B, T, 30), normalised keypoints (B, T, 204), prototype
        weights (B, T, K)."""
        out = self.head(code)
        if self.config.prototypes:
            choice = torch.softmax(self.choose(code), dim=-1)
            out = out + choice @ self.memory
        else:
            choice = out[:, :, :0]
        n = self.config.n_channels
        return out[:, :, :n], out[:, :, n:], choice

    def forward(self, mel: torch.Tensor, phones: torch.Tensor, *caches: torch.Tensor
                ) -> tuple[torch.Tensor, ...]:
        """-> (weights, normalised keypoints, prototype weights, *new caches)."""
        code, new = self.encode(mel, phones, *caches)
        return (*self.decode(code), *new)


class Exported(nn.Module):
    """What ships: clamped weights and keypoints in cm (statistics inverted)."""

    def __init__(self, model: AudioToFace) -> None:
        super().__init__()
        self.model = model

    def forward(self, mel: torch.Tensor, phones: torch.Tensor, *caches: torch.Tensor
                ) -> tuple[torch.Tensor, ...]:
        weights, kp, _, *new = self.model(mel, phones, *caches)
        kp = kp * self.model.kp_std + self.model.kp_mean
        return (weights.clamp(0.0, 1.0), kp, *new)
