"""Timing: where in time each phone's target sits.

Each phone becomes one articulatory target (diphthongs two) with a plateau: the stretch of
time over which the target holds full dominance. Vowels hold their centre, consonants peak
briefly at their middle, diphthong parts sit early and late in the vowel. Runs of silence
are merged into one target (the pauses pass decides how strongly it holds the rest pose).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..names import SILENCE, VOWELS
from ..phones import Phone, PhoneTimeline, contiguous
from .poses import DIPHTHONGS, LABEL_INDEX, dominance_matrix

# Plateau as fractions of the phone's duration from its start: (from, to).
VOWEL_PLATEAU = (0.3, 0.7)
CONSONANT_PLATEAU = (0.35, 0.65)
DIPHTHONG_PLATEAUS = ((0.1, 0.4), (0.65, 0.9))


@dataclass
class Targets:
    """Articulatory targets in time order, as parallel arrays (one entry per target)."""

    label: np.ndarray  # (K,) int index into poses.LABELS
    lo: np.ndarray  # (K,) plateau start, s
    hi: np.ndarray  # (K,) plateau end, s
    start: np.ndarray  # (K,) start of the phone the target belongs to, s
    end: np.ndarray  # (K,) end of that phone, s
    dominance: np.ndarray  # (K, G) dominance magnitude per articulator group

    @property
    def centre(self) -> np.ndarray:
        return 0.5 * (self.lo + self.hi)

    def __len__(self) -> int:
        return int(self.label.shape[0])


def merged_phones(timeline: PhoneTimeline) -> list[Phone]:
    """The timeline's phones, contiguous over [0, duration], runs of silence merged, gaps
    filled with silence, and unknown labels read as silence."""
    return contiguous(timeline.phones, timeline.duration)


def place_targets(phones: list[Phone]) -> Targets:
    """One target per phone (two per diphthong) with its plateau and dominance."""
    dom = dominance_matrix()
    label, lo, hi, start, end = [], [], [], [], []
    for p in phones:
        d = p.end - p.start
        if p.label in DIPHTHONGS:
            parts = list(zip(DIPHTHONGS[p.label], DIPHTHONG_PLATEAUS, strict=True))
        elif p.label in VOWELS:
            parts = [(p.label, VOWEL_PLATEAU)]
        elif p.label == SILENCE:
            parts = [(p.label, (0.0, 1.0))]
        else:
            parts = [(p.label, CONSONANT_PLATEAU)]
        for name, (a, b) in parts:
            label.append(LABEL_INDEX[name])
            lo.append(p.start + a * d)
            hi.append(p.start + b * d)
            start.append(p.start)
            end.append(p.end)
    labels = np.asarray(label, dtype=np.int64)
    return Targets(
        label=labels,
        lo=np.asarray(lo),
        hi=np.asarray(hi),
        start=np.asarray(start),
        end=np.asarray(end),
        dominance=dom[labels].copy(),
    )
