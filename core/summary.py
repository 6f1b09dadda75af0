"""Plain-language facts about a clip (for the CLI summary and the demo)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .clip import Clip
from .features import runs
from .rig import mouth_signals

CLOSED_MM = 2.0  # the lip-sync metrics' closure threshold
OPEN_MM = 6.0  # the lip-sync metrics' open-mouth threshold


@dataclass(frozen=True)
class MouthSummary:
    closures: int  # lips brought together between two open moments
    opens: int  # separate moments with the lips at least OPEN_MM apart
    max_gap_mm: float
    gap_mm: np.ndarray  # lip gap per frame


def summarise_mouth(clip: Clip) -> MouthSummary:
    gap, _ = mouth_signals(clip.weights)
    closed = gap <= CLOSED_MM
    opened = gap >= OPEN_MM
    return MouthSummary(
        closures=_closures_between_speech(closed),
        opens=len(runs(opened)),
        max_gap_mm=float(gap.max()),
        gap_mm=gap,
    )


def _closures_between_speech(closed: np.ndarray) -> int:
    """Runs of closed frames that have open (speaking) frames on both sides: the leading and
    trailing rest are not closures."""
    speaking = np.flatnonzero(~closed)
    if len(speaking) == 0:
        return 0
    return len(runs(closed[speaking[0] : speaking[-1] + 1]))


def sparkline(values: np.ndarray, width: int = 72) -> str:
    """A one-line picture of a curve, for terminals."""
    blocks = " ▁▂▃▄▅▆▇█"
    if len(values) == 0:
        return ""
    edges = np.linspace(0, len(values), width + 1).astype(int)
    peaks = [values[a:b].max() if b > a else values[min(a, len(values) - 1)]
             for a, b in zip(edges[:-1], edges[1:], strict=True)]
    top = max(float(np.max(peaks)), 1e-9)
    return "".join(blocks[int(round(p / top * (len(blocks) - 1)))] for p in peaks)
