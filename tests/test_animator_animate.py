"""animate(): the passes together, on real speech and its phones."""

import time
from pathlib import Path

import numpy as np
import pytest

from voxrig.core.animator import animate
from voxrig.core.audio import Audio, load_audio
from voxrig.core.clip import frame_count_for
from voxrig.core.config import AnimatorConfig
from voxrig.core.names import ARKIT52, ARKIT_INDEX, OVR15
from voxrig.core.phones import Phone, PhoneTimeline
from voxrig.core.rig import mouth_signals

SAMPLE = Path(__file__).resolve().parents[1] / "bridge" / "samples" / "LJ001-0001.flac"

# "bob" then a pause then "move" (hand-timed ARPAbet)
PHONES = [("sil", 0.0, 0.4), ("B", 0.4, 0.47), ("AA", 0.47, 0.62), ("B", 0.62, 0.68),
          ("sil", 0.68, 1.3), ("M", 1.3, 1.37), ("UW", 1.37, 1.55), ("V", 1.55, 1.62),
          ("sil", 1.62, 2.1)]  # fmt: skip


def timeline(phones=PHONES):
    items = [Phone(*p) for p in phones]
    return PhoneTimeline(items, items[-1].end, "reference")


def gap_width(clip):
    return mouth_signals(clip.weights)


@pytest.mark.parametrize("fps", [24.0, 25.0, 29.97, 30.0, 50.0, 60.0])
def test_clip_has_the_frames_channels_and_ranges_the_pipeline_expects(fps):
    clip = animate(timeline(), fps)
    n = frame_count_for(2.1, fps)
    assert clip.fps == fps and clip.duration == 2.1 and clip.channels == ARKIT52
    assert clip.weights.shape == (n, 52) and clip.visemes.shape == (n, 15)
    assert clip.weights.min() >= 0 and clip.weights.max() <= 1
    assert np.allclose(clip.visemes.sum(axis=1), 1.0, atol=1e-4)
    assert "coarticulation" in clip.meta["passes"]


@pytest.mark.parametrize("fps", [24.0, 29.97, 60.0])
def test_speech_events_show_on_the_rig_at_every_fps(fps):
    clip = animate(timeline(), fps)
    gap, width = gap_width(clip)
    t = clip.times

    def span(a, b, pad=0.02):
        return (t >= a - pad) & (t <= b + pad)

    for p in timeline().phones:
        if p.label in ("B", "M"):
            assert gap[span(p.start, p.end)].min() <= 2.0, p  # every closure
    assert gap[span(0.47, 0.62)].max() >= 6.0  # AA opens
    assert width[span(1.37, 1.55)].min() <= 50.7 - 3.0  # UW rounds
    assert gap[span(0.8, 1.2, 0)].max() <= 1.0  # rest in the pause


def test_rest_is_reached_within_150_ms_after_speech():
    clip = animate(timeline(), 100.0)
    gap, _ = gap_width(clip)
    after = (clip.times >= 0.68 + 0.15) & (clip.times <= 1.1)
    assert gap[after].max() <= 1.0


def test_short_gaps_between_words_do_not_collapse_to_rest():
    phones = [("sil", 0, 0.3), ("AA", 0.3, 0.5), ("sil", 0.5, 0.56), ("AA", 0.56, 0.76),
              ("sil", 0.76, 1.2)]
    clip = animate(timeline(phones), 100.0)
    gap, _ = gap_width(clip)
    gap_frames = (clip.times >= 0.5) & (clip.times <= 0.56)
    assert gap[gap_frames].min() > 4.0


def test_strength_zero_is_a_still_neutral_face():
    clip = animate(timeline(), 30.0, AnimatorConfig(strength=0.0))
    assert np.all(clip.weights == 0)
    assert np.allclose(clip.visemes[:, OVR15.index("sil")], 1.0)


def test_lower_strength_moves_less_but_keeps_closures():
    full = animate(timeline(), 30.0)
    soft = animate(timeline(), 30.0, AnimatorConfig(strength=0.5))
    jaw = ARKIT_INDEX["jawOpen"]
    assert soft.weights[:, jaw].max() < 0.6 * full.weights[:, jaw].max()
    gap, _ = gap_width(soft)
    t = soft.times
    assert gap[(t >= 0.38) & (t <= 0.49)].min() <= 1.0


def test_real_speech_with_audio_opens_on_loud_vowels_and_rests_in_silence():
    speech = load_audio(SAMPLE)
    lead = np.zeros(int(0.8 * speech.sample_rate), dtype=np.float32)  # 0.8 s of silence first
    audio = Audio(np.concatenate([lead, speech.samples]), speech.sample_rate, "padded")
    # a timeline that is wrong in the silence, as recognisers can be: "AH N" all through
    items, t, step = [], 0.0, 0.12
    while t + step <= audio.duration:
        items.append(Phone("AH" if len(items) % 2 == 0 else "N", t, t + step))
        t += step
    items.append(Phone("sil", t, audio.duration))
    tl = PhoneTimeline(items, audio.duration, "recognised")
    clip = animate(tl, 30.0, audio=audio)
    assert "loudness" in clip.meta["passes"]
    gap, _ = gap_width(clip)
    assert gap[clip.times < 0.7].max() <= 1.0  # rest in the silence despite the phones
    assert gap[clip.times > 0.8].max() >= 6.0  # and speech opens the mouth
    without = animate(tl, 30.0)
    assert gap_width(without)[0][clip.times < 0.7].max() > 6.0


def test_sixty_seconds_animate_well_under_a_tenth_of_a_second():
    phones, t = [], 0.0
    cycle = ["sil", "HH", "AH", "L", "OW", "W", "ER", "L", "D", "M", "AY", "F", "R", "EH", "N"]
    while t < 60.0:
        for label in cycle:
            phones.append(Phone(label, t, t + (0.3 if label == "sil" else 0.08)))
            t = phones[-1].end
    tl = PhoneTimeline(phones, t, "reference")
    animate(tl, 30.0)  # warm up imports and caches
    start = time.perf_counter()
    animate(tl, 30.0)
    assert time.perf_counter() - start < 0.25  # generous for a shared CI machine
