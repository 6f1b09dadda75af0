"""The offline pipeline: audio (+ transcript) -> phones -> animation curves -> clip.

Long files are read and processed chunk by chunk (cut at pauses), so memory stays bounded;
each chunk's curves are placed on the one global frame grid (frame i at i / fps)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .audio import Audio, iter_chunks, load_audio, probe
from .background import Background
from .clip import Clip, frame_count_for
from .config import Config
from .curve_resample import curves_at
from .emotion.text import EMOTIONS
from .emotion.voice import Prosody, prosody
from .engines import ENGINES, Part, engine_for
from .engines import create as create_engine
from .phones import Phone, Word, moved
from .rig import keypoints

__all__ = ["ENGINES", "Progress", "bake", "engine_for"]

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
    chunks, total = _chunks(source, config)
    transcript, tags = _without_tags(transcript)
    engine = create_engine(config, transcript)
    grid = FrameGrid(frame_count_for(total, config.fps), config.fps)
    heard = Heard()
    voice: Background[Prosody] | None = None
    for index, (chunk, is_last) in enumerate(_with_last(chunks)):
        if index == 0 and is_last:  # the whole audio at hand: the voice can be analysed
            voice = _voice(chunk, config)
        report(chunk.offset / max(total, 1e-9), "finding phones")
        part = engine.animate(chunk, is_last)
        grid.place(part, chunk)
        heard.add(part, chunk)
    if not heard.speech:
        heard.warnings.append(f"no speech was found in {_name(source)!r}; the face stays at "
                              "rest")
    meta = {
        "generator": "voxrig",
        "engine": engine.name,
        "source": _name(source),
        "phone_source": "+".join(sorted(heard.sources)),
        "transcript": transcript,
        "strength": config.animator.strength,
        "warnings": _unique(heard.warnings),
        "phones": [[p.label, round(p.start, 3), round(p.end, 3)] for p in heard.phones],
        "words": [[w.text, round(w.start, 3), round(w.end, 3)] for w in heard.words],
        **engine.meta(),
    }
    weights = grid.weights
    head = emotion = None
    p = voice.result() if voice is not None and heard.speech else None
    if voice is not None:
        voice.close()
    if heard.speech:  # sound that is not speech keeps a face at rest (see the warning)
        report(0.95, "expression")
        weights, head, emotion = _living(weights, total, heard.phones, heard.words,
                                         transcript, tags, p, config, meta)
    clip = Clip(
        fps=config.fps,
        weights=weights,
        duration=total,
        visemes=grid.visemes if config.visemes and not config.idle.listen else None,
        keypoints=(_keypoints(weights, grid.weights, grid.keypoints, config.idle.listen)
                   if config.keypoints else None),
        head=head,
        emotion=emotion,
        emotion_names=EMOTIONS if emotion is not None else (),
        meta=meta,
    )
    report(1.0, "done")
    return clip


def _chunks(source: str | Path | Audio, config: Config) -> tuple[Iterable[Audio], float]:
    """The input as chunks (one, unless it is long) and its duration in seconds."""
    if isinstance(source, Audio):
        return [source], source.duration
    total = probe(source).duration
    if total > config.audio.long_input_seconds:
        return iter_chunks(source, config.audio), total
    return [load_audio(source, config.audio)], total


def _without_tags(transcript: str | None) -> tuple[str | None, list]:
    """Inline emotion tags are for the face, not for the aligner."""
    if not transcript:
        return transcript, []
    from .emotion.tags import parse_tags

    return parse_tags(transcript)


class FrameGrid:
    """The clip's tracks on its one frame grid (frame i at i / fps), filled chunk by chunk;
    a track exists once a part has it."""

    def __init__(self, frames: int, fps: float) -> None:
        self.frames, self.fps = frames, fps
        self._weights: np.ndarray | None = None
        self.visemes: np.ndarray | None = None
        self.keypoints: np.ndarray | None = None

    @property
    def weights(self) -> np.ndarray:
        assert self._weights is not None, "at least one chunk always comes"
        return self._weights

    def place(self, part: Part, chunk: Audio) -> None:
        self._weights = self._put(self._weights, part.weights, part.rate, chunk)
        self.visemes = self._put(self.visemes, part.visemes, part.visemes_rate, chunk)
        self.keypoints = self._put(self.keypoints, part.keypoints, part.rate, chunk)

    def _put(self, track: np.ndarray | None, values: np.ndarray | None, rate: float,
             chunk: Audio) -> np.ndarray | None:
        if values is None:
            return track
        if track is None:
            track = np.zeros((self.frames, values.shape[1]), np.float32)
        _place(track, values, chunk, rate, self.fps)
        return track


@dataclass
class Heard:
    """What the engine heard over all chunks, in the clip's seconds."""

    phones: list[Phone] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sources: set[str] = field(default_factory=set)
    speech: bool = False

    def add(self, part: Part, chunk: Audio) -> None:
        self.warnings += chunk.warnings + part.timeline.warnings
        self.sources.add(part.timeline.source)
        self.speech |= part.speech
        self.phones += moved(part.timeline.phones, chunk.offset)
        self.words += moved(part.timeline.words, chunk.offset)


def _keypoints(weights: np.ndarray, made: np.ndarray, points: np.ndarray | None,
               listening: bool) -> np.ndarray:
    """The clip's keypoints: the rig's reading of its weights, or, when the neural model made
    the clip, the model's own keypoints (`points`, for the engine's weights `made`) moved by
    what the layers after it changed (emotion, idle motion), read through the rig — so a
    smile or a listener's closed mouth shows in the keypoints as in the weights, and in
    everything they drive (the renderer, keypoint exports). A listener's are the rig's
    reading alone: the model's keypoints say the speech, which a listener does not."""
    if points is None or listening:
        return keypoints(weights)
    return points.reshape(len(points), 68, 3) + keypoints(weights) - keypoints(made)


def _voice(whole: Audio, config: Config) -> Background[Prosody] | None:
    """The voice's pitch and loudness for the living layers, when they need it. Long audio
    has it computed on the other core while the engine runs (core/background)."""
    if not config.idle.listen and config.emotion.mode == "none" and not config.idle.enabled:
        return None
    long = config.align.workers >= 2 and whole.duration >= config.align.parallel_min_seconds
    return Background(prosody, whole.samples, whole.sample_rate, fork=long)


def _living(weights: np.ndarray, total: float, phones: list[Phone], words: list[Word],
            transcript: str | None, tags: list, p: Prosody | None, config: Config,
            meta: dict[str, Any]) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Emotion, idle motion or listening on top of the lip sync: (weights, head, emotion).
    Prosody needs the audio, which is at hand when it came in one chunk; longer files get
    text-only emotion and head motion without pitch accents."""
    from .emotion.blend import ROUNDED, bilabial_mask, blend

    if config.idle.listen:
        from .listening import listen

        motion = listen(total, config.fps, phones, words, transcript, p, config.idle)
        meta["listen"] = True
        return motion.weights, motion.head, None
    mode = config.emotion.mode
    if mode == "none" and not config.idle.enabled:
        return weights, None, None
    # one (T, 52) sum, blended in place: a 2-hour clip has room for few 45 MB copies
    extra = np.zeros_like(weights)
    head = emotion = None
    if mode != "none":
        from .emotion import emotion_track
        from .emotion.tags import load_timeline

        timeline = load_timeline(mode) if mode != "auto" else None
        result = emotion_track(total, config.fps, phones, words, transcript, tags, timeline,
                               p, config.emotion)
        extra += result.weights
        emotion = result.probs
        meta["emotion_phrases"] = result.phrases
        del result
    if config.idle.enabled:
        from .idle import idle_motion

        motion = idle_motion(total, config.fps, phones, p, config.idle)
        extra += motion.weights
        head = motion.head
        del motion
    times = np.arange(len(weights)) / config.fps
    mixed = blend(weights, extra, bilabial_mask(phones, times), config.emotion.mouth_limit,
                  bilabial_mask(phones, times, labels=ROUNDED), out=extra)
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
    offset = chunk.offset
    first = int(np.ceil(offset * fps - 1e-9))
    last = min(len(out) - 1, int(np.floor((offset + chunk.duration) * fps + 1e-9)))
    if last < first:
        return
    out[first : last + 1] = curves_at(part, part_fps, np.arange(first, last + 1) / fps - offset)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
