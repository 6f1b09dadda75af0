"""A living face: blinks, gaze and head motion that a speaker makes without thinking.

Blinks come about 15 a minute at random, and more at phrase ends and pauses; each closes
fast and opens slowly, the eyes a few milliseconds apart. Gaze holds, then jumps (saccades)
away and back to the viewer. The head drifts slowly, nods on pitch accents and at phrase
ends, and lifts for a breath in long pauses. All random choices come from one seed, one
stream per layer (layer_rngs), drawn event by event as the live stream draws them
(core/living_stream.py), so a bake and a stream of the same audio share their events."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .clip import span
from .config import IdleConfig
from .emotion.phrases import pauses, speech_phrases
from .emotion.voice import RATE, Prosody
from .names import ARKIT_INDEX
from .phones import Phone

CLOSE, HOLD, OPEN = 0.07, 0.03, 0.16  # s: a blink closes faster than it opens
MIN_BLINK_GAP = 1.0  # s between blinks
PHRASE_END_BLINK = 0.6  # chance of a blink at each phrase end
BREATH_PAUSE = 1.2  # s: pauses at least this long get a breath
SACCADE = 0.04  # s: a gaze jump
LOOK_FULL = 30.0  # degrees of gaze that give an eye-look channel 1.0
# slow head drift per axis (pitch, yaw, roll): (degrees at strength 1, seconds between knots)
HEAD_DRIFT = ((1.0, 2.5), (2.0, 3.0), (1.2, 3.5))
PHRASE_NOD = (0.1, 0.5, 2.5)  # a nod after each phrase end: (delay s, width s, degrees)
PHRASE_TILT = (0.2, 1.0, 1.5)  # a roll after each phrase end: (delay s, width s, max degrees)
ACCENT_NOD = (0.05, 0.35, 1.5)  # a nod on a pitch accent: (delay s, width s, degrees)
ACCENT_GAP = 0.6  # s between pitch accents
BREATH_HEAD = -1.2  # degrees of pitch of a breath (the head rises)
BREATH_JAW = 0.02  # jawOpen of a breath
BREATH_WIDTH = 1.2  # s: the longest breath


LAYERS = ("blink", "gaze", "pitch", "yaw", "roll", "phrase", "sway")  # one random stream each


def layer_rngs(seed: int) -> dict[str, np.random.Generator]:
    """One random stream per layer from the seed, so one layer's draws never shift another's
    and the bake and the live stream draw the same events (a stream cannot know how many
    draws a clip's length would take from a shared one)."""
    streams = np.random.SeedSequence(seed).spawn(len(LAYERS))
    return {name: np.random.default_rng(s) for name, s in zip(LAYERS, streams, strict=True)}


@dataclass
class Motion:
    """Weights to add (T, 52) and head rotation (T, 3: pitch down+, yaw left+, roll) degrees."""

    weights: np.ndarray
    head: np.ndarray


def bump(times: np.ndarray, centre: float, width: float) -> np.ndarray:
    """A raised-cosine pulse of total length `width` centred on `centre` (peak 1)."""
    x = (times - centre) / (width / 2)
    return np.where(np.abs(x) < 1, 0.5 * (1 + np.cos(np.pi * x)), 0.0)


def add_bump(target: np.ndarray, times: np.ndarray, centre: float, width: float,
             amount: float) -> None:
    """`target += amount * bump(times, centre, width)`, in place over the bump's frames."""
    frames = span(times, centre - width / 2, centre + width / 2)
    target[frames] += amount * bump(times[frames], centre, width)


def next_blink_gap(rng: np.random.Generator, rate: float) -> float:
    """Seconds to the next spontaneous blink (gamma around 60 / rate): one event, so the
    offline bake and the live stream draw blinks the same way."""
    return float(rng.gamma(3.0, blink_mean(rate) / 3.0))


def blink_lag(rng: np.random.Generator) -> float:
    """Seconds the right eye's blink follows the left's: the eyes are a few ms apart."""
    return float(rng.uniform(0.0, 0.012))


def phrase_draws(rng: np.random.Generator) -> tuple[float, bool, float, float]:
    """The random part of one phrase end, drawn whole so every phrase end takes the same
    draws: (tilt degrees, whether it blinks, the blink's delay s, its eye lag s)."""
    tilt = float(rng.uniform(-PHRASE_TILT[2], PHRASE_TILT[2]))
    blinks = bool(rng.random() < PHRASE_END_BLINK)
    return tilt, blinks, float(rng.uniform(0.05, 0.2)), blink_lag(rng)


def blink_mean(rate: float) -> float:
    """Mean seconds between spontaneous blinks at `rate` per minute."""
    return 60.0 / max(rate, 1e-3)


def blink_times(duration: float, phrase_blinks: list[tuple[float, float]], rate: float,
                rng: np.random.Generator) -> list[tuple[float, float]]:
    """(start, eye lag) of each blink: spontaneous ones (gamma-distributed intervals around
    60 / rate s, each with its lag drawn whether or not it is kept, as the live stream draws
    them) and `phrase_blinks` after phrase ends, never two within MIN_BLINK_GAP."""
    candidates = list(phrase_blinks)
    t = float(rng.uniform(0.2, blink_mean(rate)))
    while t < duration:
        candidates.append((t, blink_lag(rng)))
        t += next_blink_gap(rng, rate)
    events: list[tuple[float, float]] = []
    for start, lag in sorted(candidates):
        if start < duration - CLOSE and (not events or start - events[-1][0] >= MIN_BLINK_GAP):
            events.append((start, lag))
    return events


def phrase_events(ends: list[float], rng: np.random.Generator
                  ) -> tuple[list[float], list[tuple[float, float]]]:  # fmt: skip
    """Each phrase end's tilt (degrees) and the blinks after phrase ends, (start, lag)."""
    tilts, blinks = [], []
    for end in ends:
        tilt, blinks_here, offset, lag = phrase_draws(rng)
        tilts.append(tilt)
        if blinks_here:
            blinks.append((end + offset, lag))
    return tilts, blinks


def blink_curve(times: np.ndarray, start: float) -> np.ndarray:
    t = times - start
    closing = np.clip(t / CLOSE, 0, 1)
    opening = np.clip(1 - (t - CLOSE - HOLD) / OPEN, 0, 1)
    shape = np.minimum(closing, opening)
    return np.where((t >= 0) & (t <= CLOSE + HOLD + OPEN), shape * shape * (3 - 2 * shape), 0)


def _smooth_noise(times: np.ndarray, rng: np.random.Generator, period: float) -> np.ndarray:
    """Slow noise in about [-1, 1]: random values every `period` s, cosine-interpolated."""
    knots = np.arange(0, times[-1] + 2 * period, period)
    values = rng.uniform(-1, 1, knots.size)
    i = np.clip((times / period).astype(int), 0, knots.size - 2)
    return cosine_blend(values[i], values[i + 1], times / period - i)


def cosine_blend(a: np.ndarray | float, b: np.ndarray | float, phase: np.ndarray | float
                 ) -> np.ndarray | float:  # fmt: skip
    """From knot a to knot b as `phase` goes 0 -> 1, easing in and out: the slow noise's
    shape, offline (_smooth_noise) and streamed (living_stream) alike."""
    f = 0.5 - 0.5 * np.cos(np.pi * phase)
    return a * (1 - f) + b * f


def next_fixation(rng: np.random.Generator, aversion: float = 0.35, spread: float = 8.0
                  ) -> tuple[float, np.ndarray]:  # fmt: skip
    """One fixation: (hold seconds, gaze yaw/pitch degrees), mostly at the viewer. One event,
    shared by the offline gaze track and the live stream."""
    hold = float(rng.gamma(2.0, 0.6)) + 0.4
    target = rng.normal(0, [spread, spread * 0.6]) if rng.random() < aversion \
        else rng.normal(0, 1.0, 2)
    return hold, target


def gaze_track(times: np.ndarray, rng: np.random.Generator, aversion: float = 0.35,
               spread: float = 8.0) -> np.ndarray:
    """(T, 2) gaze yaw/pitch degrees: fixations of 0.5-3 s, mostly at the viewer, with
    quick saccades (about 40 ms) between them."""
    out = np.zeros((times.size, 2))
    t, current = 0.0, np.zeros(2)
    end = float(times[-1]) if times.size else 0.0
    while t <= end:
        hold, target = next_fixation(rng, aversion, spread)
        # this fixation holds from t until the next one starts
        frames = span(times, t, np.nextafter(t + hold, -np.inf))
        ramp = np.clip((times[frames] - t) / SACCADE, 0, 1)[:, None]
        out[frames] = current + (target - current) * ramp
        current, t = target, t + hold
    return out


def gaze_weights(gaze: np.ndarray, weights: np.ndarray) -> None:
    """Write gaze (yaw left+, pitch up+) into the eye-look channels (in place)."""
    yaw = np.clip(gaze[:, 0] / LOOK_FULL, -1, 1)
    pitch = np.clip(gaze[:, 1] / LOOK_FULL, -1, 1)
    left, right = np.clip(yaw, 0, 1), np.clip(-yaw, 0, 1)
    up, down = np.clip(pitch, 0, 1), np.clip(-pitch, 0, 1)
    for name, value in (("eyeLookOutLeft", left), ("eyeLookInRight", left),
                        ("eyeLookInLeft", right), ("eyeLookOutRight", right),
                        ("eyeLookUpLeft", up), ("eyeLookUpRight", up),
                        ("eyeLookDownLeft", down), ("eyeLookDownRight", down)):
        weights[:, ARKIT_INDEX[name]] += value


def add_blinks(weights: np.ndarray, times: np.ndarray, blinks: list[tuple[float, float]],
               strength: float) -> None:
    """Each (start, right eye's lag) blink into the eyeBlink channels (in place)."""
    amplitude = min(1.0, strength)
    for s, lag in blinks:
        for name, start in (("eyeBlinkLeft", s), ("eyeBlinkRight", s + lag)):
            frames = span(times, start, start + CLOSE + HOLD + OPEN)
            weights[frames, ARKIT_INDEX[name]] += amplitude * blink_curve(times[frames],
                                                                           start)


def pitch_accents(p: Prosody, min_gap: float = ACCENT_GAP) -> list[float]:
    """Times of pitch peaks that stand out (2+ semitones above the clip's median)."""
    voiced = p.f0 > 0
    if voiced.sum() < 10:
        return []
    st = np.where(voiced, 12 * np.log2(np.maximum(p.f0, 1.0)), np.nan)
    out: list[float] = []
    for i in accent_peaks(st, p.loudness, float(np.nanmedian(st))):
        t = i / RATE
        if not out or t - out[-1] >= min_gap:
            out.append(t)
    return out


def accent_peaks(semitones: np.ndarray, loudness: np.ndarray, median: float) -> np.ndarray:
    """Indices of the pitch peaks (semitones, NaN unvoiced, per 10 ms) that stand 2+
    semitones above `median` in loud speech, smoothed over 50 ms to ignore jitter; the first
    and last two indices lack the smoothing's context. Shared by the bake (the clip's
    median) and the live stream (the median heard so far)."""
    voiced = ~np.isnan(semitones)
    filled = np.where(voiced, semitones, median)
    smooth = np.convolve(filled, np.ones(5) / 5, mode="same")
    peaks = np.flatnonzero((smooth[1:-1] > smooth[:-2]) & (smooth[1:-1] >= smooth[2:])) + 1
    return peaks[voiced[peaks] & (smooth[peaks] > median + 2.0) & (loudness[peaks] > 0.5)]


def idle_motion(duration: float, fps: float, phones: list[Phone],
                p: Prosody | None, config: IdleConfig) -> Motion:
    """Blinks, gaze and head motion for a speaking face."""
    times = np.arange(int(np.floor(duration * fps + 1e-9)) + 1) / fps
    weights = np.zeros((times.size, 52), np.float32)
    head = np.zeros((times.size, 3))
    rngs = layer_rngs(config.seed)
    s = config.strength
    if not config.enabled or s <= 0:
        return Motion(weights, head.astype(np.float32))
    phrase_ends = [ph.end for ph in speech_phrases(phones)]
    tilts, phrase_blinks = phrase_events(phrase_ends, rngs["phrase"])
    add_blinks(weights, times, blink_times(duration, phrase_blinks, config.blink_rate,
                                           rngs["blink"]), s)
    gaze_weights(gaze_track(times, rngs["gaze"]) * s, weights)
    for axis, (amount, period) in enumerate(HEAD_DRIFT):
        head[:, axis] += amount * s * _smooth_noise(times, rngs[("pitch", "yaw", "roll")[axis]],
                                                    period)
    for t in pitch_accents(p) if p is not None else []:
        delay, width, degrees = ACCENT_NOD
        add_bump(head[:, 0], times, t + delay, width, degrees * s)
    for end, tilt in zip(phrase_ends, tilts, strict=True):
        delay, width, degrees = PHRASE_NOD
        add_bump(head[:, 0], times, end + delay, width, degrees * s)
        delay, width, _ = PHRASE_TILT
        add_bump(head[:, 2], times, end + delay, width, tilt * s)
    for a, b in pauses(phones, BREATH_PAUSE):
        mid, width = (a + b) / 2, min(b - a - 0.2, BREATH_WIDTH)
        add_bump(head[:, 0], times, mid, width, BREATH_HEAD * s)  # the head rises with it
        add_bump(weights[:, ARKIT_INDEX["jawOpen"]], times, mid, width, BREATH_JAW * s)
    return Motion(np.clip(weights, 0, 1, out=weights), head.astype(np.float32))
