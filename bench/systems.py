"""The systems bench judges, by name: voxrig's engines with and without a transcript, the PyPI
peers and a still mouth. `python -m bench` tables them all; the other benches (grid,
multilingual) pick rows from here, so a system is defined once and every bench means the same
thing by its name."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from . import metrics

Predict = Callable[[Path, "str | None"], tuple[np.ndarray, float]]


@dataclass(frozen=True)
class System:
    name: str
    predict: Predict
    english: bool = True  # judged on the English phone-tier clips
    facegood: bool = True  # judged on FACEGOOD (Mandarin, never with a transcript)
    peer: bool = False
    speed_mode: str = ""  # which speed measurement belongs to this row


def voxrig(with_transcript: bool, engine: str = "auto") -> Predict:
    """voxrig bake as a user runs it: the engine by name, the transcript given or withheld."""
    def predict(audio: Path, transcript: str | None) -> tuple[np.ndarray, float]:
        from voxrig.core.bake import bake
        from voxrig.core.config import Config

        clip = bake(audio, transcript=transcript if with_transcript else None,
                    config=Config(engine=engine))
        return metrics.arkit_weights(clip), clip.fps

    return predict


def peer(name: str, with_transcript: bool) -> Predict:
    """A PyPI peer (bench/peers.py), run in its own venv."""
    def predict(audio: Path, transcript: str | None) -> tuple[np.ndarray, float]:
        from . import peers

        out = peers.run_peer(name, audio, transcript if with_transcript else None)
        return out.weights, out.fps

    return predict


def still_mouth(audio: Path, transcript: str | None) -> tuple[np.ndarray, float]:
    """The floor every score is read against: a closed, unmoving mouth at 30 fps."""
    info = sf.info(str(audio))
    frames = int(math.floor(info.frames / info.samplerate * 30.0)) + 1
    return np.zeros((frames, 52), dtype=np.float32), 30.0


SYSTEMS = (
    System("voxrig + transcript", voxrig(True), facegood=False, speed_mode="transcript"),
    System("voxrig neural + transcript phones", voxrig(True, "neural"), facegood=False),
    System("voxrig, no transcript (neural)", voxrig(False), speed_mode="no transcript"),
    System("voxrig phonetic, no transcript", voxrig(False, "phonetic"),
           speed_mode="phonetic, no transcript"),
    System("pylipsync", peer("pylipsync", False), peer=True),
    System("openfacefx naive + transcript", peer("openfacefx", True), facegood=False,
           peer=True),
    System("openfacefx energy", peer("openfacefx", False), peer=True),
    System("still mouth (baseline)", still_mouth),
)


def first_line(exc: BaseException) -> str:
    """A system's failure as one short line in the results file, so one broken peer does not
    stop the table."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:160]
