"""The whole live face: a stream's layers over the engine's frames, in one order.

Expression (core/emotion/live.py), then the speaker's living layer (core/living_stream.py)
or, in listening mode, the listener (core/listening_stream.py). The audio, as it arrives,
goes to one voice tracker (core/emotion/live_voice.py) that the layers read; each layer
changes each frame from that frame and earlier ones only."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from .config import EmotionConfig, IdleConfig
from .emotion.live import LiveEmotion
from .emotion.live_voice import VoiceTracker
from .emotion.tags import Segment, Tag
from .listening_stream import ListeningStream
from .living_stream import LivingStream
from .streaming import RATE, Frame


class Layer(Protocol):
    def say(self, text: str) -> None: ...
    def apply(self, frame: Frame) -> Frame: ...


class LiveFace:
    """`hear` the audio (into the one voice tracker the layers share), `say` lines of
    dialogue (any thread), `apply` each engine frame through the layers in order."""

    def __init__(self, *layers: Layer, voice: VoiceTracker | None = None) -> None:
        self.layers, self.voice = layers, voice

    def hear(self, samples: np.ndarray) -> None:
        if self.voice is not None:
            self.voice.hear(samples)

    def say(self, text: str) -> None:
        for layer in self.layers:
            layer.say(text)

    def apply(self, frame: Frame) -> Frame:
        for layer in self.layers:
            frame = layer.apply(frame)
        return frame


def speaker_face(emotion: EmotionConfig, idle: IdleConfig,
                 timeline: list[Segment] | None = None, tag: Tag | None = None) -> LiveFace:
    """A speaker's face: expression (`--emotion`, text lines, the voice's arousal), then
    blinks, gaze, head motion (with nods on the voice's pitch accents) and breaths."""
    voice = VoiceTracker(emotion.step)
    return LiveFace(LiveEmotion(emotion, timeline, tag, voice), LivingStream(idle, voice),
                    voice=voice)


def listener_face(idle: IdleConfig) -> LiveFace:
    """A listener's face (`--listen`): as in bake, no emotion of its own."""
    voice = VoiceTracker(EmotionConfig().step)
    return LiveFace(ListeningStream(idle, voice), voice=voice)


def live_frames(samples: np.ndarray, engine, face: LiveFace, chunk: float = 0.02,
                lines: dict[float, str] | None = None) -> list[Frame]:
    """Every frame a stream of `samples` sends, with the face's layers, computed as fast as
    possible: each `chunk` is heard by the face, then pushed to the engine, and the frames
    it completes are applied in order. `lines` are said when the audio reaches their time
    (a text feed's lines, for tests and the bench)."""
    step = max(1, int(chunk * RATE))
    waiting = sorted((lines or {}).items())
    out: list[Frame] = []
    for i in range(0, len(samples), step):
        while waiting and waiting[0][0] <= i / RATE:
            face.say(waiting.pop(0)[1])
        face.hear(samples[i:i + step])
        out += [face.apply(f) for f in engine.push(samples[i:i + step])]
    return out + [face.apply(f) for f in engine.finish()]
