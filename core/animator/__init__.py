"""The phonetic animator: phone timeline -> ARKit-52 curves and OVR-15 visemes, as small
named passes over one timeline (see docs/animator.md):

rules (poses) -> timing -> pauses -> coarticulation -> loudness -> smoothing -> closures ->
strength, on a fine internal grid, then resampled to the output frame rate."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..clip import Clip
from ..config import AnimatorConfig
from ..curve_resample import resample_curves
from ..phones import PhoneTimeline
from .closures import apply_closures, closure_envelope
from .coarticulation import blend
from .loudness import loud_silences, loudness_track, modulate_jaw, quiet_pauses
from .pauses import apply_pauses
from .poses import pose_matrix
from .smoothing import smooth
from .strength import apply_strength, apply_viseme_strength
from .timing import merged_phones, place_targets
from .visemes import viseme_weights

if TYPE_CHECKING:
    from ..audio import Audio

__all__ = ["animate", "animate_curves"]


def animate_curves(
    timeline: PhoneTimeline,
    fps: float,
    config: AnimatorConfig | None = None,
    audio: Audio | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The passes on the internal grid: ((N, 52) weights, (N, 15) visemes, passes run);
    sample j is at j / config.rate."""
    config = config or AnimatorConfig()
    rate = config.rate
    n = int(np.floor(timeline.duration * rate + 1e-9)) + 2
    times = np.arange(n) / rate
    passes = ["rules", "timing"]
    phones = merged_phones(timeline)
    loud = None
    if audio is not None and audio.samples.size:
        loud = loudness_track(audio.samples, audio.sample_rate, times)
        heard = loud_silences(quiet_pauses(phones, times, loud, config.pause_min), times, loud)
        phones = merged_phones(PhoneTimeline(heard, timeline.duration, timeline.source))
        passes.append("audio-pauses")
    targets = apply_pauses(place_targets(phones), config.pause_min, config.rest_delay,
                           config.onset_lead)
    passes += ["pauses", "coarticulation"]
    weights = blend(targets, pose_matrix(), times)
    if loud is not None and config.loudness > 0:
        # Recognised phones are less sure than aligned ones: the voice gets twice the say.
        trust = 2.0 if timeline.source == "recognised" else 1.0
        weights = modulate_jaw(weights, loud, min(1.0, trust * config.loudness))
        passes.append("loudness")
    weights = smooth(weights, rate)
    hold = max(config.min_closure, 1.0 / fps + 2.0 / rate)
    weights = apply_closures(weights, closure_envelope(phones, times, hold, config.closure_ramp))
    weights = apply_strength(weights, config.strength)
    passes += ["smoothing", "closures", "strength", "visemes"]
    visemes = apply_viseme_strength(viseme_weights(targets, times), config.strength)
    return weights, visemes, passes


def animate(
    timeline: PhoneTimeline,
    fps: float,
    config: AnimatorConfig | None = None,
    audio: Audio | None = None,
) -> Clip:
    """A clip at `fps` covering timeline.duration: ARKit-52 weights in [0, 1] and OVR-15
    visemes. `audio` (optional) lets loudness shape the jaw and find pauses."""
    config = config or AnimatorConfig()
    weights, visemes, passes = animate_curves(timeline, fps, config, audio)
    duration = timeline.duration
    out_w = np.clip(resample_curves(weights, config.rate, fps, duration), 0.0, 1.0)
    out_v = resample_curves(visemes, config.rate, fps, duration)
    return Clip(
        fps=fps,
        weights=out_w.astype(np.float32),
        duration=duration,
        visemes=out_v.astype(np.float32),
        meta={"animator": "phonetic", "passes": passes + ["resampling"],
              "phone_source": timeline.source},
    )
