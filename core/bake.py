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
from .animator.strength import apply_strength, apply_viseme_strength
from .audio import Audio, iter_chunks, load_audio, probe
from .clip import Clip, frame_count_for
from .config import Config
from .emotion.text import EMOTIONS
from .errors import VoxrigError
from .names import SILENCE
from .neural import FRAME_RATE, NeuralEngine, mouth_moved, samples_16k, speech_timeline
from .phones import PhoneTimeline, contiguous
from .resample import resample_curves
from .rig import keypoints
from .shape_visemes import shape_visemes, speaking_frames

Progress = Callable[[float, str], None]  # (fraction done in [0, 1], what is happening)
ENGINES = ("auto", "neural", "phonetic")


def bake(
    source: str | Path | Audio,
    transcript: str | None = None,
    config: Config | None = None,
    progress: Progress | None = None,
) -> Clip:
    """Bake speech into a clip. `source` is an audio file path or an already loaded Audio."""
    config = config or Config()
    engine = engine_for(config, transcript)
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
    neural = NeuralEngine() if engine == "neural" else None
    aligner = ChunkedAligner(transcript, config.align)
    frame_total = frame_count_for(total, config.fps)
    weights: np.ndarray | None = None
    visemes: np.ndarray | None = None
    points: np.ndarray | None = None  # the neural model's keypoints, (T, 204)
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
        if neural is not None and not transcript:  # no recognition: pauses from loudness
            timeline = speech_timeline(chunk)
        else:
            timeline = aligner.next(chunk, is_last)
        warnings += timeline.warnings
        sources.add(timeline.source)
        report((chunk.offset + 0.8 * chunk.duration) / max(total, 1e-9), "animating")
        speech = any(phone.label != SILENCE for phone in timeline.phones)
        if neural is not None:
            # Aligned phones steer the model (its FiLM input); recognised ones are too
            # unreliable to, and without a transcript it hears the audio alone.
            film = timeline.aligned_phones() or None
            part_w, part_k = neural.predict(samples_16k(chunk), film)
            if film:
                part_w = _seal_aligned(part_w, film, config)
            if speech and not mouth_moved(part_w, FRAME_RATE):
                # The model keeps its mouth shut for sound that is not a voice (a tone,
                # noise, music): then this is no speech, and the face rests completely.
                speech = False
                part_w, part_k = np.zeros_like(part_w), np.zeros_like(part_k)
                timeline = PhoneTimeline(contiguous([], chunk.duration), chunk.duration,
                                         timeline.source)
            strength = config.animator.strength  # all channels scale together, as phonetic
            part_v, v_rate = (_neural_visemes(timeline, part_w, chunk, speech, config)
                              if config.visemes else (None, FRAME_RATE))
            part_w = apply_strength(part_w, strength)
            # the model's keypoints are kept only when asked for: 2 hours of them are 176 MB
            part_k = (part_k.reshape(len(part_k), -1) * max(strength, 0.0) if config.keypoints
                      else part_k[:, :0].reshape(len(part_k), 0))
            if weights is None:
                weights = np.zeros((frame_total, part_w.shape[1]), np.float32)
                points = np.zeros((frame_total, part_k.shape[1]), np.float32)
                if part_v is not None:
                    visemes = np.zeros((frame_total, part_v.shape[1]), np.float32)
            assert points is not None
            if index == 0 and is_last:  # the whole input: straight onto the frame grid
                weights[:] = resample_curves(part_w, FRAME_RATE, config.fps, total)
                points[:] = resample_curves(part_k, FRAME_RATE, config.fps, total)
                if part_v is not None and visemes is not None:
                    visemes[:] = resample_curves(part_v, v_rate, config.fps, total)
            else:
                _place(weights, part_w, chunk, FRAME_RATE, config.fps)
                _place(points, part_k, chunk, FRAME_RATE, config.fps)
                if part_v is not None and visemes is not None:
                    _place(visemes, part_v, chunk, v_rate, config.fps)
        else:
            # Loudness only refines phones: over a chunk with none (a tone, noise, music)
            # the mouth stays at rest instead of following the level of a sound that is not
            # a voice.
            part = animate(timeline, config.fps, config.animator, chunk if speech else None)
            if timeline.unaligned:
                _fill_unaligned(part.weights, part.fps, chunk, timeline.unaligned, config)
            if weights is None:
                weights = np.zeros((frame_total, part.weights.shape[1]), np.float32)
                visemes = np.zeros((frame_total, part.visemes.shape[1]), np.float32)
            assert visemes is not None
            _place(weights, part.weights, chunk, part.fps, config.fps)
            _place(visemes, part.visemes, chunk, part.fps, config.fps)
        heard_speech |= speech
        phones += _timed(timeline, chunk.offset, "phones")
        words += _timed(timeline, chunk.offset, "words")
    assert weights is not None  # at least one chunk always comes
    if not heard_speech:
        warnings.append(f"no speech was found in {_name(source)!r}; the face stays at rest")

    meta = {
        "generator": "voxrig",
        "engine": engine,
        "source": _name(source),
        "phone_source": "+".join(sorted(sources)),
        "transcript": transcript,
        "strength": config.animator.strength,
        "warnings": _unique(warnings),
        "phones": phones,
        "words": words,
    }
    if neural is not None:
        meta["model"] = neural.info.description
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
        keypoints=_keypoints(weights, points) if config.keypoints else None,
        head=head,
        emotion=emotion,
        emotion_names=EMOTIONS if emotion is not None else (),
        meta=meta,
    )
    report(1.0, "done")
    return clip


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


def _neural_visemes(timeline: PhoneTimeline, weights: np.ndarray, chunk: Audio, speech: bool,
                    config: Config) -> tuple[np.ndarray, float]:
    """OVR-15 visemes of a neural chunk, (values, their rate): from the aligned phones as the
    phonetic engine makes them when the transcript was aligned, else read off the mouth the
    model predicted (`weights`, 100 Hz, before strength) with pauses from the timeline."""
    if timeline.source == "forced":
        part = animate(timeline, config.fps, config.animator, chunk if speech else None)
        assert part.visemes is not None
        return part.visemes, part.fps
    times = np.arange(len(weights)) / FRAME_RATE
    values = shape_visemes(weights, speaking_frames(timeline.phones, times))
    return apply_viseme_strength(values, config.animator.strength), FRAME_RATE


def _seal_aligned(weights: np.ndarray, phones: list, config: Config) -> np.ndarray:
    """The neural mouth with the aligned P, B and M sealed as the phonetic animator seals
    them: the model's timing and shapes come from real motion, a transcript's bilabials are
    certain, and a viewer notices a closure that does not close."""
    from .animator.closures import apply_closures, closure_envelope

    times = np.arange(len(weights)) / FRAME_RATE
    envelope = closure_envelope(phones, times, config.animator.min_closure,
                                config.animator.closure_ramp)  # fmt: skip
    return apply_closures(weights, envelope).astype(weights.dtype)


FILL_RAMP_SECONDS = 0.05  # cross-fade between aligned curves and the neural fill


def _fill_unaligned(weights: np.ndarray, fps: float, chunk: Audio,
                    spans: list[tuple[float, float]], config: Config) -> None:
    """Where the transcript did not cover the speech (its phones were only recognised), the
    neural model's mouth replaces the phonetic one: it hears the audio itself, which beats
    recognised phones (bench: 0.936 against 0.899). Cross-faded at the edges, in place."""
    predicted, _ = NeuralEngine().predict(samples_16k(chunk))
    fill = resample_curves(apply_strength(predicted, config.animator.strength), FRAME_RATE,
                           fps, chunk.duration)[: len(weights)]  # fmt: skip
    times = np.arange(len(fill)) / fps
    share = np.zeros(len(fill))
    for start, end in spans:
        rise = np.clip((times - start) / FILL_RAMP_SECONDS + 0.5, 0.0, 1.0)
        fall = np.clip((end - times) / FILL_RAMP_SECONDS + 0.5, 0.0, 1.0)
        share = np.maximum(share, np.minimum(rise, fall))
    weights[: len(fill)] = (weights[: len(fill)] * (1.0 - share[:, None])
                            + fill * share[:, None]).astype(weights.dtype)  # fmt: skip


def _keypoints(weights: np.ndarray, points: np.ndarray | None) -> np.ndarray:
    """The neural model's own keypoints when it made the clip, else the rig's reading of the
    weights."""
    if points is None:
        return keypoints(weights)
    return points.reshape(len(points), 68, 3)


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
