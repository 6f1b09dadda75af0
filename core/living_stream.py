"""The living face, live: blinks, gaze, head motion and breaths added to a stream's frames
as they come.

The offline bake (core/idle.py) sees the whole clip; a stream sees only what it has heard. So
this stage is causal: every frame is changed using that frame and the frames before it, never
a later one, and adds no latency of its own. It draws its events with the bake's per-event
functions (idle.next_blink_gap, idle.next_fixation, idle.blink_curve) and constants. Speech is
read from the engine's own mouth (jawOpen), so a phrase end is known PAUSE seconds after the
mouth closes: the bake's nod and tilt after a phrase end start no earlier than that here.
Each layer has its own random stream from the seed (idle.layer_rngs), drawn event by event
as the bake draws it, so a stream and a bake of the same audio and seed share their blinks,
gaze and head drift (docs/live.md, "Streamed and baked"). With a voice tracker the head also
nods on the voice's pitch accents; in listening mode (IdleConfig.listen) the layer gives a
listener's blinks and attentive gaze only (core/listening_stream.py adds the rest)."""

from __future__ import annotations

import numpy as np

from .config import IdleConfig
from .emotion.live_voice import VoiceTracker
from .emotion.phrases import PAUSE
from .idle import (
    ACCENT_NOD,
    BREATH_HEAD,
    BREATH_JAW,
    BREATH_PAUSE,
    BREATH_WIDTH,
    CLOSE,
    HEAD_DRIFT,
    HOLD,
    MIN_BLINK_GAP,
    OPEN,
    PHRASE_NOD,
    PHRASE_TILT,
    SACCADE,
    blink_curve,
    blink_lag,
    blink_mean,
    bump,
    cosine_blend,
    gaze_weights,
    layer_rngs,
    next_blink_gap,
    next_fixation,
    phrase_draws,
)
from .listening import GAZE
from .names import ARKIT_INDEX
from .streaming import SPEAKING_JAW, Frame

_BLINK = CLOSE + HOLD + OPEN  # s a blink lasts


class _Drift:
    """Slow noise in about [-1, 1] for one head axis: a random knot every `period` s,
    cosine-interpolated (as the bake's), drawn only as far as the stream has come."""

    def __init__(self, rng: np.random.Generator, period: float) -> None:
        self._rng, self._period = rng, period
        self._knots: list[float] = []

    def at(self, t: float) -> float:
        i = int(t / self._period)
        while len(self._knots) < i + 2:
            self._knots.append(float(self._rng.uniform(-1, 1)))
        return float(cosine_blend(self._knots[i], self._knots[i + 1], t / self._period - i))


class LivingStream:
    """One stream's living layer: `apply(frame)` returns the frame with blinks, eye-look
    channels and head rotation added, in stream order."""

    def __init__(self, config: IdleConfig, voice: VoiceTracker | None = None) -> None:
        self.config = config
        self._voice = voice  # its pitch accents nod the head (none without a tracker)
        self._accents = 0  # accents of the voice already scheduled
        rngs = layer_rngs(config.seed)
        self._blink_rng, self._gaze_rng, self._phrase_rng = (rngs["blink"], rngs["gaze"],
                                                             rngs["phrase"])
        self._listener = config.listen  # attentive gaze; no drift, phrase nods or breaths
        self._next_blink = float(self._blink_rng.uniform(0.2, blink_mean(config.blink_rate)))
        self._blinks: list[tuple[float, float]] = []  # (start, the right eye's lag)
        self._fixation = (0.0, 0.0)  # (start, hold) of the current fixation
        self._gaze = (np.zeros(2), np.zeros(2))  # (from, to) degrees yaw/pitch
        self._gaze_cache: tuple[tuple[float, float] | None, np.ndarray] = (None, np.zeros(52))
        self._drift = [_Drift(rngs[axis], period)
                       for axis, (_, period) in zip(("pitch", "yaw", "roll"), HEAD_DRIFT,
                                                    strict=True)]
        self._bumps: list[tuple[int, float, float, float]] = []  # (axis, centre, width, deg)
        self._speaking_until: float | None = None  # the last speaking frame of this phrase
        self._last_speech: float | None = None  # the last speaking frame of all
        self._breaths: list[float] = []  # centres of breaths (BREATH_WIDTH long)

    @property
    def active(self) -> bool:
        return self.config.enabled and self.config.strength > 0

    def say(self, text: str) -> None:
        """Words do not move a speaker's eyes or head."""

    def apply(self, frame: Frame) -> Frame:
        """`frame` with the living layer on top (unchanged when idle motion is off)."""
        if not self.active:
            return frame
        t, s = frame.time, self.config.strength
        weights = np.array(frame.weights, np.float32)
        head = np.array(frame.head, np.float64)
        self._hear(t, float(weights[ARKIT_INDEX["jawOpen"]]))
        self._nod_on_accents()
        self._add_blinks(t, weights)
        weights += self._gaze_channels(self._gaze_at(t) * (1.0 if self._listener else s))
        for axis, (amount, _) in enumerate(HEAD_DRIFT if not self._listener else ()):
            head[axis] += amount * s * self._drift[axis].at(t)
        for axis, centre, width, degrees in self._bumps:
            head[axis] += degrees * float(bump(np.array([t]), centre, width)[0])
        self._bumps = [b for b in self._bumps if b[1] + b[2] / 2 > t]
        for centre in self._breaths:
            weights[ARKIT_INDEX["jawOpen"]] += BREATH_JAW * s * float(
                bump(np.array([t]), centre, BREATH_WIDTH)[0])
        self._breaths = [c for c in self._breaths if c + BREATH_WIDTH / 2 > t]
        return Frame(frame.index, frame.time, np.clip(weights, 0, 1, out=weights),
                     head.astype(np.float32))

    def _hear(self, t: float, jaw: float) -> None:
        """Track speech from the mouth; at a phrase end (PAUSE s of a closed mouth) schedule
        the bake's phrase-end nod, tilt and perhaps a blink, as soon as they can start."""
        if jaw > SPEAKING_JAW:
            self._speaking_until = self._last_speech = t
            return
        self._breathe(t)
        end = self._speaking_until
        if end is None or t - end < PAUSE:
            return
        self._speaking_until = None
        tilt, blinks, offset, lag = phrase_draws(self._phrase_rng)
        if not self._listener:  # a listener nods its own way (core/listening_stream.py)
            s = self.config.strength
            delay, width, degrees = PHRASE_NOD  # a nod (pitch), the same way every time
            self._bumps.append((0, max(end + delay, t + width / 2), width, degrees * s))
            delay, width, _ = PHRASE_TILT  # a tilt (roll) to either side
            self._bumps.append((2, max(end + delay, t + width / 2), width, tilt * s))
        if blinks:
            self._start_blink(max(t, end + offset), lag)

    def _nod_on_accents(self) -> None:
        """The bake's nod on each pitch accent the voice tracker has found, starting
        ACCENT_NOD's delay after the accent (the bake centres it there: its start would be
        before the accent is heard)."""
        if self._voice is None or self._listener:
            return
        delay, width, degrees = ACCENT_NOD
        for accent in self._voice.accents[self._accents:]:
            self._bumps.append((0, accent + delay + width / 2, width,
                                degrees * self.config.strength))
        self._accents = len(self._voice.accents)

    def _breathe(self, t: float) -> None:
        """A breath in a pause once it has lasted BREATH_PAUSE (the bake's shortest pause
        with a breath; the bake centres it on the pause, whose end a stream cannot know):
        the head rises and the lips part a little over the next BREATH_WIDTH seconds."""
        last = self._last_speech
        if last is None or t - last < BREATH_PAUSE or self._listener:
            return
        self._last_speech = None
        centre = t + BREATH_WIDTH / 2
        self._breaths.append(centre)
        self._bumps.append((0, centre, BREATH_WIDTH, BREATH_HEAD * self.config.strength))

    def _start_blink(self, start: float, lag: float) -> None:
        last = self._blinks[-1][0] if self._blinks else -np.inf
        if start - last >= MIN_BLINK_GAP:
            self._blinks.append((start, lag))

    def _add_blinks(self, t: float, weights: np.ndarray) -> None:
        while self._next_blink <= t:
            self._start_blink(self._next_blink, blink_lag(self._blink_rng))
            self._next_blink += next_blink_gap(self._blink_rng, self.config.blink_rate)
        self._blinks = [b for b in self._blinks if b[0] + b[1] + _BLINK >= t
                        or b is self._blinks[-1]]
        amplitude = min(1.0, self.config.strength)
        now = np.array([t])
        for start, lag in self._blinks:
            if not start <= t <= start + lag + _BLINK:  # blink_curve is 0 there
                continue
            weights[ARKIT_INDEX["eyeBlinkLeft"]] += amplitude * float(blink_curve(now, start)[0])
            weights[ARKIT_INDEX["eyeBlinkRight"]] += amplitude * float(
                blink_curve(now, start + lag)[0])

    def _gaze_channels(self, gaze: np.ndarray) -> np.ndarray:
        """gaze_weights' eye-look channels (float64, as it adds them) for one gaze, kept
        while the gaze holds (between saccades it holds for seconds)."""
        key = (float(gaze[0]), float(gaze[1]))
        if self._gaze_cache[0] != key:
            channels = np.zeros((1, 52))
            gaze_weights(gaze[None], channels)
            self._gaze_cache = (key, channels[0])
        return self._gaze_cache[1]

    def _gaze_at(self, t: float) -> np.ndarray:
        start, hold = self._fixation
        while t >= start + hold:
            start += hold
            hold, target = next_fixation(self._gaze_rng, *(GAZE if self._listener else ()))
            self._gaze = (self._gaze[1], target)
            self._fixation = (start, hold)
        source, target = self._gaze
        return source + (target - source) * min(1.0, (t - start) / SACCADE)
