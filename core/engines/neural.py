"""The neural engine: the model hears the audio (steered by the aligned phones when a
transcript was given, their P/B/M sealed) and predicts the mouth and the keypoints."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..align import ChunkedAligner, recognise
from ..animator import animate
from ..animator.closures import apply_closures, closure_envelope
from ..animator.heard import sharpen
from ..animator.strength import apply_strength, apply_viseme_strength
from ..audio import Audio
from ..config import Config
from ..neural import FRAME_RATE, NeuralEngine, mouth_moved, samples_16k, speech_timeline
from ..phones import Phone, PhoneTimeline, contiguous
from ..shape_visemes import shape_visemes, speaking_frames
from . import Part, has_speech


class NeuralBake:
    name = "neural"

    def __init__(self, transcript: str | None, config: Config) -> None:
        self.config = config
        self.model = NeuralEngine()
        # without a transcript pauses come from loudness, and the phones recognised in
        # the audio only finish the closures and roundings the model nearly makes
        self.aligner = ChunkedAligner(transcript, config.align) if transcript else None

    def meta(self) -> dict[str, Any]:
        return {"model": self.model.info.description}

    def animate(self, chunk: Audio, is_last: bool) -> Part:
        config = self.config
        timeline = (self.aligner.next(chunk, is_last) if self.aligner is not None
                    else speech_timeline(chunk))  # fmt: skip
        speech = has_speech(timeline)
        # Aligned phones steer the model (its FiLM input); recognised ones are too
        # unreliable to, and without a transcript it hears the audio alone.
        film = timeline.aligned_phones() or None
        weights, points = self.model.predict(samples_16k(chunk), film)
        if film:
            weights = _seal_aligned(weights, film, config)
        if speech and not mouth_moved(weights, FRAME_RATE):
            # The model keeps its mouth shut for sound that is not a voice (a tone, noise,
            # music): then this is no speech, and the face rests completely.
            speech = False
            weights, points = np.zeros_like(weights), np.zeros_like(points)
            timeline = PhoneTimeline(contiguous([], chunk.duration), chunk.duration,
                                     timeline.source)
        if speech and not film and config.animator.heard_phones:
            heard = timeline if timeline.source == "recognised" else recognise(chunk, config.align)
            weights = sharpen(weights, FRAME_RATE, heard.phones, config.animator)
        strength = config.animator.strength  # all channels scale together, as phonetic
        visemes, visemes_rate = (_visemes(timeline, weights, chunk, speech, config)
                                 if config.visemes else (None, 0.0))  # fmt: skip
        # the model's keypoints are kept only when asked for: 2 hours of them are 176 MB
        keypoints = (points.reshape(len(points), -1) * max(strength, 0.0) if config.keypoints
                     else None)  # fmt: skip
        return Part(timeline, speech, apply_strength(weights, strength), FRAME_RATE,
                    visemes, visemes_rate, keypoints)


def _visemes(timeline: PhoneTimeline, weights: np.ndarray, chunk: Audio, speech: bool,
             config: Config) -> tuple[np.ndarray, float]:
    """OVR-15 visemes of a chunk, (values, their rate): from the aligned phones as the
    phonetic engine makes them when the transcript was aligned, else read off the mouth the
    model predicted (`weights`, 100 Hz, before strength) with pauses from the timeline."""
    if timeline.source == "forced":
        clip = animate(timeline, config.fps, config.animator, chunk if speech else None)
        assert clip.visemes is not None
        return clip.visemes, clip.fps
    times = np.arange(len(weights)) / FRAME_RATE
    values = shape_visemes(weights, speaking_frames(timeline.phones, times))
    return apply_viseme_strength(values, config.animator.strength), FRAME_RATE


def _seal_aligned(weights: np.ndarray, phones: list[Phone], config: Config) -> np.ndarray:
    """The neural mouth with the aligned P, B and M sealed as the phonetic animator seals
    them: the model's timing and shapes come from real motion, a transcript's bilabials are
    certain, and a viewer notices a closure that does not close."""
    times = np.arange(len(weights)) / FRAME_RATE
    envelope = closure_envelope(phones, times, config.animator.min_closure,
                                config.animator.closure_ramp)  # fmt: skip
    return apply_closures(weights, envelope).astype(weights.dtype)
