"""Listening mode (seed S4): the avatar hears someone else speak. Its lips stay still; it
nods at the speaker's phrase ends, smiles at positive statements, raises its brows at
questions, keeps its gaze on the speaker and blinks."""

from __future__ import annotations

import numpy as np

from .config import IdleConfig
from .emotion.phrases import Phrase, sentence_phrases, speech_phrases
from .emotion.text import classify
from .emotion.voice import RATE, Prosody
from .idle import (
    Motion,
    add_blinks,
    add_bump,
    blink_times,
    bump,
    gaze_track,
    gaze_weights,
    layer_rngs,
    phrase_events,
)
from .names import ARKIT_INDEX
from .phones import Phone, Word

NOD_DEGREES = 4.0  # head pitch (down) of a listener's nod
SMILE = 0.4  # smile at a positive statement
BROWS = 0.5  # brow raise at a question
POSITIVE = 0.3  # VADER valence above which a statement counts as positive
NOD = (0.25, 0.6)  # a listener's nod after a phrase end: (delay s, width s)
GAZE = (0.1, 4.0)  # a listener's gaze: (chance of looking away, spread degrees): attentive
SWAY = (1.0, 7.0)  # slow yaw sway: (degrees, period s)
SMILE_RISE, SMILE_HOLD, SMILE_FALL = 0.4, 1.0, 0.6  # s: a smile's growth, hold, fading
BROW_RAISE = (0.1, 1.2)  # brows after a question: (delay s, width s)


def is_question(phrase: Phrase, p: Prosody | None) -> bool:
    """A question by its text ("?") or, without text, by pitch rising at its end."""
    if phrase.text:
        return phrase.text.rstrip().endswith("?")
    if p is None:
        return False
    a, b = int((phrase.end - 0.5) * RATE), int(phrase.end * RATE)
    f0 = p.f0[max(a, 0):b]
    voiced = np.flatnonzero(f0 > 0)
    if voiced.size < 8:
        return False
    st = 12 * np.log2(f0[voiced])
    return float(np.polyfit(voiced / RATE, st, 1)[0]) > 6.0  # semitones per second


def listen(duration: float, fps: float, phones: list[Phone], words: list[Word],
           transcript: str | None, p: Prosody | None, config: IdleConfig) -> Motion:
    """Weights (no mouth motion but smiles) and head motion of a listener."""
    times = np.arange(int(np.floor(duration * fps + 1e-9)) + 1) / fps
    weights = np.zeros((times.size, 52), np.float32)
    head = np.zeros((times.size, 3))
    rngs = layer_rngs(config.seed)
    s = max(config.strength, 0.0)
    phrases = sentence_phrases(transcript, words) if transcript else []
    if not phrases:
        phrases = speech_phrases(phones)
    ends = [ph.end for ph in phrases]
    _, phrase_blinks = phrase_events(ends, rngs["phrase"])
    add_blinks(weights, times, blink_times(duration, phrase_blinks, config.blink_rate,
                                           rngs["blink"]), max(s, 1.0))
    gaze_weights(gaze_track(times, rngs["gaze"], *GAZE), weights)  # attention
    smile = np.zeros(times.size)
    brows = np.zeros(times.size)
    # nods answer every pause of the speaker, and every sentence end
    nods = sorted({round(ph.end, 2) for ph in [*phrases, *speech_phrases(phones)]})
    for i, end in enumerate(nods):
        if i + 1 < len(nods) and nods[i + 1] - end < 0.5:
            continue  # the same phrase end found twice
        add_bump(head[:, 0], times, end + NOD[0], NOD[1], NOD_DEGREES * s)
    for ph in phrases:
        if ph.text and classify(ph.text).valence > POSITIVE:
            # the smile grows during the statement and fades a second after it
            rise = np.clip((times - (ph.start + ph.end) / 2) / SMILE_RISE, 0, 1)
            fall = np.clip(1 - (times - ph.end - SMILE_HOLD) / SMILE_FALL, 0, 1)
            smile = np.maximum(smile, np.minimum(rise, fall))
        if is_question(ph, p):
            brows = np.maximum(brows, bump(times, ph.end + BROW_RAISE[0], BROW_RAISE[1]))
    for name in ("mouthSmileLeft", "mouthSmileRight"):
        weights[:, ARKIT_INDEX[name]] += SMILE * s * smile
    for name in ("cheekSquintLeft", "cheekSquintRight"):
        weights[:, ARKIT_INDEX[name]] += 0.5 * SMILE * s * smile
    for name in ("browInnerUp", "browOuterUpLeft", "browOuterUpRight"):
        weights[:, ARKIT_INDEX[name]] += BROWS * s * brows
    head[:, 1] += SWAY[0] * s * np.sin(2 * np.pi * times / SWAY[1]
                                           + float(rngs["sway"].uniform(0, 6.3)))
    return Motion(np.clip(weights, 0, 1).astype(np.float32), head.astype(np.float32))
