"""Bake engines: each turns one chunk of audio into animation curves, behind one small
interface, so `bake()` reads the same whatever makes the mouth move.

An engine finds the chunk's phones its own way (forced alignment of the transcript,
recognition, or loudness alone) and animates them; the bake places its `Part` on the clip's
frame grid. A new engine is one module here with a class that has `name`, `meta()` and
`animate()`, and one line in REGISTRY.

`voxrig stream` drives streaming engines of one shape too (`StreamingEngine`: audio pushed as
it arrives, `Frame`s out), named in STREAMING with the same names."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..audio import Audio
from ..config import Config
from ..errors import VoxrigError
from ..names import SILENCE
from ..phones import PhoneTimeline

if TYPE_CHECKING:
    from ..streaming import Frame, StreamConfig

# engine name -> (its module in this package, its class): imported only when it bakes
REGISTRY = {
    "neural": ("neural", "NeuralBake"),
    "phonetic": ("phonetic", "PhoneticBake"),
}
ENGINES = ("auto", *REGISTRY)

# streaming engine name -> (its module in voxrig.core, its class)
STREAMING = {
    "neural": ("neural", "NeuralStreamingAnimator"),
    "phonetic": ("streaming", "StreamingAnimator"),
}


@dataclass
class Part:
    """One chunk's animation; each track's sample j is at j / its rate from the chunk's
    start. `timeline` is the phones as the engine used them, `speech` whether it heard a
    voice (a face at rest otherwise)."""

    timeline: PhoneTimeline
    speech: bool
    weights: np.ndarray  # (n, 52) ARKit-52 in [0, 1]
    rate: float
    visemes: np.ndarray | None = None  # (m, 15) OVR-15
    visemes_rate: float = 0.0
    keypoints: np.ndarray | None = None  # (n, 204) keypoint displacements (cm), at `rate`


class Engine(Protocol):
    name: str

    def meta(self) -> dict[str, Any]:
        """What the clip's meta records about the engine (its model, ...)."""
        ...

    def animate(self, chunk: Audio, is_last: bool) -> Part:
        """The next chunk of the input (chunks come in order; `is_last` ends the input)."""
        ...


def engine_for(config: Config, transcript: str | None) -> str:
    """The engine a bake uses: config.engine, with "auto" resolved. Auto takes the neural
    model, with a transcript too: given the aligned phones (and their P/B/M sealed) it
    follows a real speaker's lips far better than the phonetic animator on held-out video
    (GRID s1 validation r 0.80 against 0.67) and scores the same on the phone-tier clips
    (docs/bench.md). Both make OVR-15 visemes (the neural engine from its aligned phones,
    else from the mouth it predicts)."""
    if config.engine not in ENGINES:
        raise VoxrigError(f"unknown engine {config.engine!r}; choose one of "
                          f"{', '.join(ENGINES)}")
    if config.engine != "auto":
        return config.engine
    return "neural"


def create(config: Config, transcript: str | None) -> Engine:
    """The engine `engine_for` names, ready for the first chunk."""
    module, kind = REGISTRY[engine_for(config, transcript)]
    return getattr(import_module(f".{module}", __name__), kind)(transcript, config)


class StreamingEngine(Protocol):
    """Audio in as it arrives (mono float32 at 16 kHz, any block size), frames at `fps` out,
    in order, each once."""

    fps: float
    compute_allowance: float  # seconds one push may take before its frames are out

    @property
    def latency(self) -> float:
        """Worst-case delay from a sample to the frame that shows it."""
        ...

    def push(self, samples: np.ndarray) -> list[Frame]:
        ...

    def finish(self) -> list[Frame]:
        ...


def create_streaming(name: str, fps: float, config: StreamConfig | None = None
                     ) -> StreamingEngine:  # fmt: skip
    """The streaming engine `name` at `fps` (`config`: StreamConfig, the settings of the
    engines that use them)."""
    if name not in STREAMING:
        raise ValueError(f"unknown streaming engine {name!r}; choose one of "
                         f"{', '.join(STREAMING)}")
    module, kind = STREAMING[name]
    return getattr(import_module(f"..{module}", __name__), kind)(fps, config)


def has_speech(timeline: PhoneTimeline) -> bool:
    return any(phone.label != SILENCE for phone in timeline.phones)
