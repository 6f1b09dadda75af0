"""Phrases: stretches of speech between pauses, with the transcript text said in them.

Emotion is judged per phrase (a sentence of the transcript), and phrase ends are where a
speaker blinks and nods and where a listener answers with a nod."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..names import SILENCE
from ..phones import Phone, Word
from .text import tokenize

PAUSE = 0.3  # s: a silence this long between phones ends a phrase


@dataclass(frozen=True)
class Phrase:
    start: float
    end: float
    text: str = ""  # the transcript words said in it (with punctuation), "" when unknown


def pauses(phones: list[Phone], minimum: float = PAUSE) -> list[tuple[float, float]]:
    """(start, end) of every silence of at least `minimum` seconds."""
    return [(ph.start, ph.end) for ph in phones
            if ph.label == SILENCE and ph.duration >= minimum]


def speech_phrases(phones: list[Phone], minimum: float = PAUSE) -> list[Phrase]:
    """Stretches of phones between pauses (no text)."""
    out: list[Phrase] = []
    start = None
    last_end = 0.0
    for ph in phones:
        if start is not None and ph.start - last_end >= minimum:  # a gap is a pause too
            out.append(Phrase(start, last_end))
            start = None
        if ph.label != SILENCE:
            start = ph.start if start is None else start
            last_end = ph.end
        elif start is not None and ph.duration >= minimum:
            out.append(Phrase(start, last_end))
            start = None
    if start is not None:
        out.append(Phrase(start, last_end))
    return out


def sentences(transcript: str) -> list[str]:
    parts = re.findall(r"[^.!?;]+[.!?;]*", transcript)
    return [p.strip() for p in parts if tokenize(p)]


def sentence_phrases(transcript: str, words: list[Word]) -> list[Phrase]:
    """Transcript sentences timed by the aligned words, matched in order by word count
    (scaled when normalisation changed the count, e.g. numbers spelled out)."""
    spoken = [w for w in words if tokenize(w.text)]
    texts = sentences(transcript)
    if not spoken or not texts:
        return []
    counts = [len(tokenize(t)) for t in texts]
    scale = len(spoken) / max(sum(counts), 1)
    out, used = [], 0
    for i, (text, count) in enumerate(zip(texts, counts, strict=True)):
        first = min(int(round(used * scale)), len(spoken) - 1)
        used += count
        last = len(spoken) - 1 if i == len(texts) - 1 else \
            max(first, min(int(round(used * scale)) - 1, len(spoken) - 1))
        out.append(Phrase(spoken[first].start, spoken[last].end, text))
    return out
