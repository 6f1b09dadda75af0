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
from .emotion.text import EMOTIONS
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

    tags: list = []
    if transcript:  # inline emotion tags are for the face, not for the aligner
        from .emotion.tags import parse_tags

        transcript, tags = parse_tags(transcript)
    aligner = ChunkedAligner(transcript, config.align)
    frame_total = frame_count_for(total, config.fps)
    weights: np.ndarray | None = None
    visemes: np.ndarray | None = None
    phones: list[list[Any]] = []
    words: list[list[Any]] = []
    warnings: list[str] = []
    sources: set[str] = set()
    heard_speech = False
    whole: Audio | None = None  # the audio, when it came in one chunk (prosody needs it)
    for index, (chunk, is_last) in enumerate(_with_last(chunks)):
        whole = chunk if index == 0 and is_last else None
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
    head = emotion = None
    if heard_speech:  # sound that is not speech keeps a face at rest (see the warning)
        report(0.95, "expression")
        weights, head, emotion = _living(weights, total, phones, words, transcript, tags,
                                         whole, config, meta)
    clip = Clip(
        fps=config.fps,
        weights=weights,
        duration=total,
        visemes=visemes if config.visemes and not config.idle.listen else None,
        keypoints=keypoints(weights) if config.keypoints else None,
        head=head,
        emotion=emotion,
        emotion_names=EMOTIONS if emotion is not None else (),
        meta=meta,
    )
    report(1.0, "done")
    return clip


def _living(weights: np.ndarray, total: float, phones: list, words: list,
            transcript: str | None, tags: list, whole: Audio | None, config: Config,
            meta: dict[str, Any]) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Emotion, idle motion or listening on top of the lip sync: (weights, head, emotion).
    Prosody needs the audio, which is at hand when it came in one chunk; longer files get
    text-only emotion and head motion without pitch accents."""
    from .emotion.blend import ROUNDED, bilabial_mask, blend
    from .emotion.voice import prosody

    p = prosody(whole.samples, whole.sample_rate) if whole is not None else None
    if config.idle.listen:
        from .listening import listen

        motion = listen(total, config.fps, phones, words, transcript, p, config.idle)
        meta["listen"] = True
        return motion.weights, motion.head, None
    times = np.arange(len(weights)) / config.fps
    extra = np.zeros_like(weights)
    head = emotion = None
    mode = config.emotion.mode
    if mode != "none":
        from .emotion import emotion_track
        from .emotion.tags import load_timeline

        timeline = load_timeline(mode) if mode != "auto" else None
        result = emotion_track(total, config.fps, phones, words, transcript, tags, timeline,
                               p, config.emotion)
        extra += result.weights
        emotion = result.probs
        meta["emotion_phrases"] = result.phrases
    if config.idle.enabled:
        from .idle import idle_motion

        motion = idle_motion(total, config.fps, phones, p, config.idle)
        extra += motion.weights
        head = motion.head
    if mode == "none" and not config.idle.enabled:
        return weights, None, None
    mixed = blend(weights, extra, bilabial_mask(phones, times), config.emotion.mouth_limit,
                  bilabial_mask(phones, times, labels=ROUNDED))
    return mixed, head, emotion


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
