"""Emotion: from the transcript (per phrase), inline tags or a timeline file, scaled by the
voice, to an emotion track and expression weights for the clip."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config import EmotionConfig
from ..phones import Phone, Word
from .expression import expression_frames, intensity_from_arousal
from .phrases import sentence_phrases
from .tags import Segment, Tag, tags_to_segments
from .text import EMOTIONS, classify
from .voice import Prosody, arousal_steps

__all__ = ["EMOTIONS", "EmotionResult", "emotion_track"]


@dataclass
class EmotionResult:
    probs: np.ndarray  # (T, E) over EMOTIONS
    weights: np.ndarray  # (T, 52) expression to blend onto the lip sync
    phrases: list[dict[str, Any]]  # per phrase: start, end, text, label, valence, arousal


def emotion_track(duration: float, fps: float, phones: list[Phone],
                  words: list[Word], transcript: str | None, tags: list[Tag],
                  timeline: list[Segment] | None, p: Prosody | None,
                  config: EmotionConfig) -> EmotionResult:
    """Per-frame emotion and expression. A timeline file overrides everything; inline tags
    override the text estimate from their word on; otherwise each transcript sentence is
    classified. Intensity follows the voice's arousal per analysis step."""
    step = config.step
    count = max(2, int(np.ceil(duration / step)) + 1)
    if p is not None:
        centres, arousal = arousal_steps(p, phones, step)
    else:
        centres, arousal = np.array([0.0]), np.array([0.5])
    step_times = np.arange(count) * step
    intensity = intensity_from_arousal(np.interp(step_times, centres, arousal),
                                       config.intensity_low, config.intensity_high)
    probs = np.zeros((count, len(EMOTIONS)))
    probs[:, 0] = 1.0
    described: list[dict[str, Any]] = []
    if timeline is None and transcript:
        phrases = sentence_phrases(transcript, words)
        for i, ph in enumerate(phrases):
            est = classify(ph.text)
            until = phrases[i + 1].start if i + 1 < len(phrases) else duration
            inside = (step_times >= ph.start) & (step_times < until)
            probs[inside] = est.probs
            described.append({"start": ph.start, "end": ph.end, "text": ph.text,
                              "label": est.label, "valence": round(est.valence, 3),
                              "arousal": round(est.arousal, 3)})
    segments = timeline if timeline is not None else tags_to_segments(tags, words, duration)
    for seg in segments:
        inside = (step_times >= seg.start) & (step_times < seg.end)
        probs[inside] = 0.0
        probs[inside, EMOTIONS.index(seg.emotion)] = 1.0
        intensity[inside] = seg.intensity
    frame_times = np.arange(int(np.floor(duration * fps + 1e-9)) + 1) / fps
    frame_probs, weights = expression_frames(step_times, probs, intensity, frame_times)
    return EmotionResult(frame_probs, weights, described)
