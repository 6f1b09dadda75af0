"""The phone timeline: what the aligner or recogniser heard, in one type for every source."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TypeVar

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
    "forced" (aligned to a transcript), "recognised" (allphone), or "reference". A forced
    timeline may hold `unaligned` stretches (start, end seconds) that the transcript did not
    cover: their phones were recognised, and engines that can do better there may."""

    phones: list[Phone]
    duration: float
    source: str
    words: list[Word] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unaligned: list[tuple[float, float]] = field(default_factory=list)

    def aligned_phones(self) -> list[Phone]:
        """The phones that were aligned to the transcript: none unless forced, and none
        inside an unaligned stretch."""
        if self.source != "forced":
            return []
        return [p for p in self.phones
                if not any(a < p.end and p.start < b for a, b in self.unaligned)]


Timed = TypeVar("Timed", Phone, Word)


def moved(items: list[Timed], offset: float) -> list[Timed]:
    """Phones or words `offset` seconds later (a chunk's, placed in the whole input)."""
    return [replace(item, start=item.start + offset, end=item.end + offset) for item in items]


def normalise_label(label: str) -> str:
    """ARPAbet without stress; silence, noise and filler markers all become `sil`."""
    base = label.strip().upper().rstrip("012")
    return base if base in ARPABET else SILENCE


def contiguous(phones: list[Phone], duration: float) -> list[Phone]:
    """Phones covering exactly [0, duration], as PhoneTimeline promises: labels normalised,
    overlaps trimmed, gaps and both ends filled with silence, neighbouring silences merged."""
    out: list[Phone] = []

    def add(label: str, start: float, end: float) -> None:
        if end - start <= 1e-6:
            return
        if out and label == SILENCE and out[-1].label == SILENCE:
            out[-1] = Phone(SILENCE, out[-1].start, end)
        else:
            out.append(Phone(label, start, end))

    cursor = 0.0
    for phone in sorted(phones, key=lambda p: p.start):
        start, end = min(max(phone.start, cursor), duration), min(phone.end, duration)
        if end - start <= 1e-6:
            continue
        add(SILENCE, cursor, start)
        add(normalise_label(phone.label), start, end)
        cursor = end
    add(SILENCE, cursor, duration)
    return out or [Phone(SILENCE, 0.0, max(duration, 0.0))]
