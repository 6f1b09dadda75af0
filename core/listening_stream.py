"""Listening, live (`voxrig stream --listen`): the avatar hears someone else speak, the
microphone or a file, and answers as core/listening.py's listener does: still lips, a nod
after each phrase, a smile at a positive line (from --text-feed), raised brows at a question
(a line ending in "?", or without a line a voice rising at the phrase end), attentive gaze,
blinks and a slow sway.

Causal like every live layer: a phrase end is known PAUSE seconds after the speaker's mouth
(the engine's jawOpen) closed, so the nod and brows come that much later than the bake's;
a smile grows from the line's speech onset (the bake's from the middle of the sentence, which
a stream cannot know) and fades SMILE_HOLD s after the line's end, known LINE_PAUSE s after
it, when the brows of a question rise too."""

from __future__ import annotations

import queue

import numpy as np

from .config import IdleConfig
from .emotion.live_voice import VoiceTracker
from .emotion.phrases import PAUSE, Phrase
from .emotion.text import classify
from .emotion.voice import RATE, Prosody
from .idle import bump, layer_rngs
from .listening import (
    BROW_RAISE,
    BROWS,
    NOD,
    NOD_DEGREES,
    POSITIVE,
    SMILE,
    SMILE_FALL,
    SMILE_HOLD,
    SMILE_RISE,
    SWAY,
    is_question,
)
from .living_stream import LivingStream
from .names import ARKIT52, ARKIT_INDEX
from .streaming import Frame

LINE_PAUSE = 0.7  # s of silence that end a line (a phrase ends at PAUSE; a line may hold several)
EYES = np.array([name.startswith(("eyeBlink", "eyeLook")) for name in ARKIT52])
_SMILES = ("mouthSmileLeft", "mouthSmileRight")
_CHEEKS = ("cheekSquintLeft", "cheekSquintRight")
_BROWS = ("browInnerUp", "browOuterUpLeft", "browOuterUpRight")


class ListeningStream:
    """`say` the speaker's lines (any thread), `apply` each engine frame of the speaker's
    voice: the listener's frame comes back, its mouth still; `voice` is the tracker the
    speaker's audio goes to."""

    def __init__(self, config: IdleConfig, voice: VoiceTracker | None = None) -> None:
        self.config = config
        self._eyes = LivingStream(IdleConfig(enabled=True, strength=config.strength,
                                             blink_rate=config.blink_rate, seed=config.seed,
                                             listen=True))
        self._phase = float(layer_rngs(config.seed)["sway"].uniform(0, 6.3))
        self._voice = voice  # its pitch says a question without a line (None: never)
        self._lines: queue.SimpleQueue[tuple[str, float]] = queue.SimpleQueue()
        self._waiting: tuple[str, float] | None = None  # (text, valence) not spoken yet
        self._line: tuple[str, float] | None = None  # the line being spoken
        self._start: float | None = None  # speech onset of the line being heard
        self._last_speech: float | None = None  # the last speaking frame, until a line ends
        self._nodded = False  # the current pause has had its nod
        self._smile = (np.inf, np.inf)  # (rise from, fall from) of the current smile
        self._bumps: list[tuple[str, float, float]] = []  # (nod|brows, centre, width)

    def say(self, text: str) -> None:
        if text.strip():
            self._lines.put((text.strip(), classify(text).valence))

    def apply(self, frame: Frame) -> Frame:
        t, s = frame.time, max(self.config.strength, 0.0)
        self._follow(frame)
        eyes = self._eyes.apply(frame)
        weights = np.zeros(52, np.float32)
        weights[EYES] = eyes.weights[EYES] - np.asarray(frame.weights)[EYES]
        smile = min(np.clip((t - self._smile[0]) / SMILE_RISE, 0, 1),
                    np.clip(1 - (t - self._smile[1]) / SMILE_FALL, 0, 1))
        for name in _SMILES:
            weights[ARKIT_INDEX[name]] += SMILE * s * smile
        for name in _CHEEKS:
            weights[ARKIT_INDEX[name]] += 0.5 * SMILE * s * smile
        now = np.array([t])
        brows = max([float(bump(now, c, w)[0]) for kind, c, w in self._bumps
                     if kind == "brows"] or [0.0])
        for name in _BROWS:
            weights[ARKIT_INDEX[name]] += BROWS * s * brows
        head = np.zeros(3)
        head[0] = sum(NOD_DEGREES * s * float(bump(now, c, w)[0])
                      for kind, c, w in self._bumps if kind == "nod")
        head[1] = SWAY[0] * s * np.sin(2 * np.pi * t / SWAY[1] + self._phase)
        self._bumps = [b for b in self._bumps if b[1] + b[2] / 2 > t]
        return Frame(frame.index, frame.time, np.clip(weights, 0, 1),
                     head.astype(np.float32))

    def _follow(self, frame: Frame) -> None:
        """The speaker's phrases, from the engine's mouth: a nod at each phrase end (PAUSE s
        closed); a line starts at a speech onset and ends at a LINE_PAUSE (or when the next
        line's speech starts), bringing brows at a question and the smile's fade."""
        t = frame.time
        while not self._lines.empty():
            self._waiting = self._lines.get()
        last = self._last_speech
        if frame.speaking:
            onset = last is None or t - last >= PAUSE
            if self._start is not None and onset and self._waiting is not None:
                self._end_line(last, t)
            if self._start is None:
                self._start_line(t)
            self._last_speech, self._nodded = t, False
            return
        if last is None:
            return
        if t - last >= PAUSE and not self._nodded:
            self._nodded = True
            self._bumps.append(("nod", max(last + NOD[0], t + NOD[1] / 2), NOD[1]))
        if t - last >= LINE_PAUSE and self._start is not None:
            self._end_line(last, t)
            self._last_speech = None

    def _start_line(self, t: float) -> None:
        self._start = t
        self._line, self._waiting = self._waiting, None
        if self._line is not None and self._line[1] > POSITIVE:
            self._smile = (t, np.inf)

    def _end_line(self, end: float, t: float) -> None:
        phrase = Phrase(self._start or end, end, self._line[0] if self._line else "")
        if self._question(phrase):
            width = BROW_RAISE[1]
            self._bumps.append(("brows", max(end + BROW_RAISE[0], t + width / 2), width))
        if self._smile[1] == np.inf and self._smile[0] <= t:
            self._smile = (self._smile[0], max(t, end + SMILE_HOLD))
        self._start = self._line = None

    def _question(self, phrase: Phrase) -> bool:
        """core/listening.is_question on the voice heard so far (its pitch at the phrase's
        end, when there is no line)."""
        if self._voice is None:
            return bool(phrase.text) and is_question(phrase, None)
        f0 = self._voice.f0
        offset = (self._voice.hops - f0.size) / RATE  # the remembered pitch starts here
        heard = Prosody(f0, np.zeros_like(f0))
        return is_question(Phrase(phrase.start - offset, phrase.end - offset, phrase.text),
                           heard)
