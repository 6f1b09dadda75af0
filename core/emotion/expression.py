"""Expression (seed S2): each emotion is a control vector over the ARKit channels of the
upper face, cheeks, corners of the mouth and nose. Its amplitude is the emotion's
probability times an intensity weight from the voice (arousal per analysis step mapped into
a preset range within [0, 1]); frames between analysis steps are interpolated, so
expressions ease in and out instead of switching."""

from __future__ import annotations

import numpy as np

from ..names import ARKIT52, ARKIT_INDEX
from .text import EMOTIONS


def _both(name: str, value: float) -> dict[str, float]:
    return {f"{name}Left": value, f"{name}Right": value}


EXPRESSIONS: dict[str, dict[str, float]] = {
    "neutral": {},
    "happy": {**_both("mouthSmile", 0.55), **_both("cheekSquint", 0.4),
              **_both("eyeSquint", 0.2), **_both("mouthDimple", 0.15)},
    "sad": {"browInnerUp": 0.65, **_both("browDown", 0.15), **_both("mouthFrown", 0.45),
            **_both("eyeSquint", 0.1), **_both("eyeLookDown", 0.15)},
    "angry": {**_both("browDown", 0.7), **_both("eyeSquint", 0.35), **_both("noseSneer", 0.3),
              **_both("mouthFrown", 0.2), **_both("eyeWide", 0.05)},
    "surprised": {"browInnerUp": 0.7, **_both("browOuterUp", 0.7), **_both("eyeWide", 0.6)},
    "afraid": {"browInnerUp": 0.75, **_both("browOuterUp", 0.3), **_both("eyeWide", 0.5),
               **_both("mouthStretch", 0.3), **_both("browDown", 0.1)},
    "disgusted": {**_both("noseSneer", 0.6), **_both("mouthUpperUp", 0.25),
                  **_both("browDown", 0.4), **_both("eyeSquint", 0.3),
                  **_both("cheekSquint", 0.2), **_both("mouthFrown", 0.2)},
}


def expression_matrix() -> np.ndarray:
    """(E, 52): row e is the control vector of EMOTIONS[e]."""
    out = np.zeros((len(EMOTIONS), len(ARKIT52)), np.float32)
    for e, name in enumerate(EMOTIONS):
        for channel, value in EXPRESSIONS[name].items():
            out[e, ARKIT_INDEX[channel]] = value
    return out


def intensity_from_arousal(arousal: np.ndarray, low: float, high: float) -> np.ndarray:
    """Arousal in [0, 1] mapped into the preset intensity range [low, high] within [0, 1]."""
    return low + (high - low) * np.clip(arousal, 0.0, 1.0)


def expression_frames(
    step_times: np.ndarray, step_probs: np.ndarray, step_intensity: np.ndarray,
    frame_times: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame emotion probabilities (T, E) and expression weights (T, 52): probabilities
    and intensities interpolated between analysis steps, then amplitude = p * intensity."""
    # float32 throughout and clipped in place: each (T, 52) array of 2 hours is 45 MB
    probs = np.stack([np.interp(frame_times, step_times, step_probs[:, e]).astype(np.float32)
                      for e in range(step_probs.shape[1])], axis=1)
    probs /= np.maximum(probs.sum(axis=1, keepdims=True), 1e-9)
    intensity = np.interp(frame_times, step_times, step_intensity).astype(np.float32)
    amplitude = probs * intensity[:, None]
    amplitude[:, EMOTIONS.index("neutral")] = 0.0
    weights = amplitude @ expression_matrix()
    return probs, np.clip(weights, 0.0, 1.0, out=weights)
