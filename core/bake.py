"""The offline pipeline: audio (+ transcript) -> phones -> animation curves -> clip.

Long files are read and processed chunk by chunk (cut at pauses), so memory stays bounded;
each chunk's curves are placed on the one global frame grid (frame i at i / fps)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .align import ChunkedAligner
from .animator import animate
from .audio import Audio, iter_chunks, load_audio, probe
from .clip import Clip, frame_count_for
from .config import Config
from .names import SILENCE
from .phones import PhoneTimeline
from .rig import keypoints

Progress = Callable[[float, str], None]  # (fraction done in [0, 1], what is happening)


def bake(
    source: str | Path | Audio,
    transcript: str | None = None,
    config: Config | None = None,
    progress: Progress | None = None,
) -> Clip:
    """Bake speech into a clip. `source` is an audio file path or an already loaded Audio."""
    config = config or Config()
    report = progress or (lambda fraction, stage: None)
    report(0.0, "reading audio")
    if isinstance(source, Audio):
        chunks: Iterable[Audio] = [source]
        total = source.duration
    else:
        total = probe(source).duration
        if total > config.audio.long_input_seconds:
            chunks = iter_chunks(source, config.audio)
        else:
            chunks = [load_audio(source, config.audio)]

    aligner = ChunkedAligner(transcript, config.align)
    frame_total = frame_count_for(total, config.fps)
    weights: np.ndarray | None = None
    visemes: np.ndarray | None = None
    phones: list[list[Any]] = []
    words: list[list[Any]] = []
    warnings: list[str] = []
    sources: set[str] = set()
    heard_speech = False
    for chunk, is_last in _with_last(chunks):
        warnings += chunk.warnings
        report(chunk.offset / max(total, 1e-9), "finding phones")
        timeline = aligner.next(chunk, is_last)
        warnings += timeline.warnings
        sources.add(timeline.source)
        report((chunk.offset + 0.8 * chunk.duration) / max(total, 1e-9), "animating")
        speech = any(phone.label != SILENCE for phone in timeline.phones)
        heard_speech |= speech
        # Loudness only refines phones: over a chunk with none (a tone, noise, music) the
        # mouth stays at rest instead of following the level of a sound that is not a voice.
        part = animate(timeline, config.fps, config.animator, chunk if speech else None)
        if weights is None:
            weights = np.zeros((frame_total, part.weights.shape[1]), np.float32)
            visemes = np.zeros((frame_total, part.visemes.shape[1]), np.float32)
        _place(weights, part.weights, chunk, part.fps, config.fps)
        _place(visemes, part.visemes, chunk, part.fps, config.fps)
        phones += _timed(timeline, chunk.offset, "phones")
        words += _timed(timeline, chunk.offset, "words")
    assert weights is not None and visemes is not None  # at least one chunk always comes
    if not heard_speech:
        warnings.append(f"no speech was found in {_name(source)!r}; the face stays at rest")

    meta = {
        "generator": "voxrig",
        "engine": "phonetic",
        "source": _name(source),
        "phone_source": "+".join(sorted(sources)),
        "transcript": transcript,
        "strength": config.animator.strength,
        "warnings": _unique(warnings),
        "phones": phones,
        "words": words,
    }
    clip = Clip(
        fps=config.fps,
        weights=weights,
        duration=total,
        visemes=visemes if config.visemes else None,
        keypoints=keypoints(weights) if config.keypoints else None,
        meta=meta,
    )
    report(1.0, "done")
    return clip


def _name(source: str | Path | Audio) -> str:
    return str(source.source if isinstance(source, Audio) else source)


def _with_last(items: Iterable[Audio]) -> Iterator[tuple[Audio, bool]]:
    """Each item with a flag telling whether it is the last (chunks come lazily)."""
    iterator = iter(items)
    try:
        current = next(iterator)
    except StopIteration:
        return
    for following in iterator:
        yield current, False
        current = following
    yield current, True


def _place(out: np.ndarray, part: np.ndarray, chunk: Audio, part_fps: float, fps: float) -> None:
    """Write a chunk's curves into the global frame grid by interpolating them at the global
    frame times that fall inside the chunk (holding its last value up to the chunk's end)."""
    n, offset = len(part), chunk.offset
    first = int(np.ceil(offset * fps - 1e-9))
    last = min(len(out) - 1, int(np.floor((offset + chunk.duration) * fps + 1e-9)))
    if last < first:
        return
    local = (np.arange(first, last + 1) / fps - offset) * part_fps
    grid = np.arange(n, dtype=np.float64)
    for c in range(part.shape[1]):
        out[first : last + 1, c] = np.interp(local, grid, part[:, c])


def _timed(timeline: PhoneTimeline, offset: float, kind: str) -> list[list[Any]]:
    items = timeline.phones if kind == "phones" else timeline.words
    label = "label" if kind == "phones" else "text"
    return [
        [getattr(item, label), round(item.start + offset, 3), round(item.end + offset, 3)]
        for item in items
    ]


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
