"""Emotion, live: the expression a stream's frames show, from what is known by then.

The bake knows every sentence of the transcript and the whole voice; a stream knows the
`--emotion` setting (a tag, or a timeline by stream time), the lines of dialogue it has been
sent (`say`, from `--text-feed`) and the audio heard so far. Each line's text emotion (the
bake's classify) holds from the next speech onset after it arrived; the voice's arousal
(core/emotion/live_voice.py) sets the intensity, as the bake's does. Expressions ease in over
one analysis step, as the bake's interpolation between steps does. Mouth channels are
limited as the bake's blend limits them (a stream has no phones, so no P/B/M mask)."""

from __future__ import annotations

import math
import queue

import numpy as np

from ..config import EmotionConfig
from ..streaming import Frame
from .blend import blend
from .expression import expression_matrix, intensity_from_arousal
from .live_voice import VoiceTracker
from .phrases import PAUSE
from .tags import Segment, Tag
from .text import EMOTIONS, TextEmotion, classify

NEUTRAL = np.eye(len(EMOTIONS))[0]


class SpeechOnsets:
    """Phrase starts read from the engine's mouth: the first speaking frame after PAUSE
    seconds of a closed mouth (or the stream's first)."""

    def __init__(self) -> None:
        self._last_speech: float | None = None

    def onset(self, frame: Frame) -> bool:
        if not frame.speaking:
            return False
        last, self._last_speech = self._last_speech, frame.time
        return last is None or frame.time - last >= PAUSE


class LiveEmotion:
    """One stream's expression layer: `say(text)` a line of dialogue (from any thread),
    `apply(frame)` each frame in stream order; `voice` is the tracker the stream's audio
    goes to (core/live_face.py)."""

    def __init__(self, config: EmotionConfig, timeline: list[Segment] | None = None,
                 tag: Tag | None = None, voice: VoiceTracker | None = None) -> None:
        self.config = config
        self.active = config.mode != "none"
        if tag is not None:
            timeline = [Segment(0.0, math.inf, tag.emotion, tag.intensity)]
        self._timeline = timeline or []
        self.voice = voice  # None: the voice's usual arousal throughout
        self._lines: queue.SimpleQueue[TextEmotion] = queue.SimpleQueue()
        self._waiting: TextEmotion | None = None  # arrived, its speech not started yet
        self._text = NEUTRAL  # the emotion of the line being spoken
        self._onsets = SpeechOnsets()
        self._probs, self._intensity = NEUTRAL.copy(), None
        self._last: float | None = None
        self._matrix = expression_matrix()

    def say(self, text: str) -> None:
        """A line of dialogue about to be spoken; classified here, on the caller's thread."""
        if text.strip():
            self._lines.put(classify(text))

    def target(self, frame: Frame) -> tuple[np.ndarray, float]:
        """(emotion probabilities, intensity) the face is heading for at this frame."""
        while not self._lines.empty():
            self._waiting = self._lines.get()
        if self._onsets.onset(frame) and self._waiting is not None:
            self._text, self._waiting = np.array(self._waiting.probs), None
        t = frame.time
        for seg in self._timeline:
            if seg.start <= t < seg.end:
                return np.eye(len(EMOTIONS))[EMOTIONS.index(seg.emotion)], seg.intensity
        arousal = self.voice.arousal_at(t) if self.voice is not None else 0.5
        return self._text, float(intensity_from_arousal(
            np.array(arousal), self.config.intensity_low, self.config.intensity_high))

    def apply(self, frame: Frame) -> Frame:
        """`frame` with the expression on top (unchanged with `--emotion none`)."""
        if not self.active:
            return frame
        probs, intensity = self.target(frame)
        most = (frame.time - self._last) / self.config.step if self._last is not None else 1.0
        self._last = frame.time
        self._probs += np.clip(probs - self._probs, -most, most)
        self._probs /= max(float(self._probs.sum()), 1e-9)
        current = intensity if self._intensity is None else self._intensity
        self._intensity = current + float(np.clip(intensity - current, -most, most))
        amplitude = self._probs * self._intensity
        amplitude[0] = 0.0  # neutral shows nothing
        extra = np.clip(amplitude @ self._matrix, 0.0, 1.0).astype(np.float32)[None]
        weights = blend(np.asarray(frame.weights, np.float32)[None], extra, np.zeros(1),
                        self.config.mouth_limit)[0]
        return Frame(frame.index, frame.time, weights, frame.head)

