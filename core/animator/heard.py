"""Heard phones: the phones recognised in the audio finish the shapes a predicted mouth only
half makes.

The neural model's mouth follows real motion, but on voices it has not heard it often stops
short of a closure (the lips come within millimetres and open again) or of a rounding (an
"oo" drawn as a neutral vowel). pocketsphinx's phone recognition hears the same audio with
a different model, so its errors are not the network's: where it hears a P, B or M and the
predicted lips already nearly meet, the lips are sealed as the phonetic animator seals them
(closures.py); where it hears UW, OW or W and the predicted mouth already narrows, the lips
take that phone's rounding (poses.py). Neither is imposed where the prediction disagrees, so
a misheard phone does not close an open vowel or pucker a smile. On the held-out English
voices of bench/unseen.py this lifts the event score without transcript from 0.86 to about
0.89 (docs/animator.md "Heard phones"); the gates were chosen on the phone-tier clips and
their degraded versions, never on those voices.
"""

from __future__ import annotations

import numpy as np

from ..config import AnimatorConfig
from ..names import ARKIT_INDEX, BILABIALS
from ..phones import Phone
from ..rig import mouth_signals
from .closures import apply_closures, closure_envelope
from .poses import POSES

CLOSING_MM = 4.0  # predicted lip gap at or under which a heard bilabial is sealed
NARROWING_MM = 0.5  # a heard rounding needs the predicted mouth this much narrower than at
# rest: not spread (a smile, an "ee"); an open jaw alone narrows it by about 1 mm
SEARCH = 0.03  # s either side of a heard phone in which the prediction is looked at
ROUND_RAMP = 0.06  # s: the rounding eases in and out over this
# share of the phone's pose rounding that is made: half scored best on the tuning clips
# (full rounding 0.914, half 0.919) and keeps the FACEGOOD mouth width (r 0.67 full, 0.74 half)
ROUND_SHARE = 0.5
ROUNDING = ("UW", "OW", "W")
_ROUND_CHANNELS = tuple(ARKIT_INDEX[n] for n in ("mouthFunnel", "mouthPucker"))
APART_MM = 3.0  # predicted lip gap from which a heard rounding is made in full
_REST_GAP, _REST_WIDTH = (float(v[0]) for v in
                          mouth_signals(np.zeros((1, len(ARKIT_INDEX)), np.float32)))


def sharpen(weights: np.ndarray, rate: float, heard: list[Phone],
            config: AnimatorConfig) -> np.ndarray:  # fmt: skip
    """`weights` (T, 52) at `rate` Hz, frame j at j / rate s (the heard phones' seconds),
    with the heard closures sealed and roundings made where the prediction agrees."""
    if not heard or len(weights) == 0:
        return weights
    gap, width = mouth_signals(weights.astype(np.float32))
    times = np.arange(len(weights)) / rate
    closures = [p for p in heard if p.label in BILABIALS
                and _window(gap, p, rate).min(initial=np.inf) <= CLOSING_MM]  # fmt: skip
    roundings = [p for p in heard if p.label in ROUNDING
                 and _window(width, p, rate).min(initial=np.inf) <= _REST_WIDTH - NARROWING_MM]
    out = weights
    if roundings:
        out = _rounded(out, times, roundings, gap)
    if closures:
        envelope = closure_envelope(closures, times, config.min_closure, config.closure_ramp)
        out = apply_closures(out, envelope)
    return out.astype(weights.dtype)


def _window(signal: np.ndarray, phone: Phone, rate: float) -> np.ndarray:
    first = max(0, int((phone.start - SEARCH) * rate))
    return signal[first:max(first, int(np.ceil((phone.end + SEARCH) * rate)) + 1)]


def _rounded(weights: np.ndarray, times: np.ndarray, phones: list[Phone],
             gap: np.ndarray) -> np.ndarray:  # fmt: skip
    """Funnel and pucker raised to each phone's pose over the phone, eased at its ends, and
    only as far as the predicted lips are apart: the funnel parts the lips, and lips the
    model keeps together (a P misheard as a W) stay together."""
    out = weights.copy()
    apart = np.clip((gap - _REST_GAP) / (APART_MM - _REST_GAP), 0.0, 1.0)
    for p in phones:
        centre, half = 0.5 * (p.start + p.end), 0.5 * p.duration
        first = np.searchsorted(times, p.start - ROUND_RAMP)
        end = np.searchsorted(times, p.end + ROUND_RAMP, side="right")
        distance = np.maximum(np.abs(times[first:end] - centre) - half, 0.0) / ROUND_RAMP
        ease = (0.5 + 0.5 * np.cos(np.pi * np.minimum(distance, 1.0))) * apart[first:end]
        for c in _ROUND_CHANNELS:
            target = ROUND_SHARE * POSES[p.label].get(_NAMES[c], 0.0)
            out[first:end, c] = np.maximum(out[first:end, c], ease * target)
    return out


_NAMES = {index: name for name, index in ARKIT_INDEX.items()}
