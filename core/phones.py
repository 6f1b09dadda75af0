"""The phone timeline: what the aligner or recogniser heard, in one type for every source."""

from __future__ import annotations

from dataclasses import dataclass, field

from .names import ARPABET, SILENCE


@dataclass(frozen=True)
class Phone:
    """One ARPAbet phone (stress digits stripped) or `sil`, from `start` to `end` seconds."""

    label: str
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float


@dataclass
class PhoneTimeline:
    """Contiguous phones covering [0, duration]. `source` says how they were obtained:
    "forced" (aligned to a transcript), "recognised" (allphone), or "reference"."""

    phones: list[Phone]
    duration: float
    source: str
    words: list[Word] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def normalise_label(label: str) -> str:
    """ARPAbet without stress; silence, noise and filler markers all become `sil`."""
    base = label.strip().upper().rstrip("012")
    return base if base in ARPABET else SILENCE
