"""Resampling: any output fps, frame i exactly at i / fps, no phase lag."""

import numpy as np
import pytest

from voxrig.core.clip import frame_count_for
from voxrig.core.curve_resample import frame_times, resample_curves

FPS = [24.0, 25.0, 30000 / 1001, 29.97, 30.0, 50.0, 60.0]
SRC = 200.0


@pytest.mark.parametrize("fps", FPS)
def test_a_step_lands_at_its_time_at_every_fps(fps):
    duration, step = 2.0, 0.8137
    t = np.arange(int(duration * SRC) + 2) / SRC
    values = np.clip((t - step) * SRC + 0.5, 0.0, 1.0)  # ramp of one source sample at `step`
    out = resample_curves(values, SRC, fps, duration)
    times = frame_times(duration, fps)
    first_up = int(np.argmax(out >= 0.5))
    assert times[first_up] >= step - 0.5 / SRC  # not early
    assert times[first_up] - step < 1 / fps  # and not a frame late: the first frame after it
    assert np.all(out[times < step - 1 / SRC] == 0) and np.all(out[times > step + 1 / SRC] == 1)


@pytest.mark.parametrize("fps", FPS)
def test_frame_i_reads_the_curve_at_i_over_fps(fps):
    duration = 3.0
    t = np.arange(int(duration * SRC) + 2) / SRC
    values = np.stack([np.sin(2 * np.pi * 1.3 * t), t], axis=1)  # smooth curve and a clock
    out = resample_curves(values, SRC, fps, duration)
    times = frame_times(duration, fps)
    assert np.allclose(out[:, 1], times)  # linear in time: exact
    assert np.allclose(out[:, 0], np.sin(2 * np.pi * 1.3 * times), atol=2e-3)


def test_29_97_fps_has_the_right_frame_count():
    duration = 10.0
    out = resample_curves(np.zeros((2001, 3)), SRC, 29.97, duration)
    assert out.shape == (frame_count_for(duration, 29.97), 3) == (300, 3)
    out = resample_curves(np.zeros(2001), SRC, 30000 / 1001, 60.0)
    assert out.shape == (1799,)  # floor(60 * 29.97002997) + 1


def test_the_last_value_holds_past_the_last_sample():
    out = resample_curves(np.array([0.0, 1.0]), 10.0, 60.0, 0.5)
    assert np.all(out[frame_times(0.5, 60.0) >= 0.1] == 1.0)


def test_bad_rates_are_rejected():
    with pytest.raises(ValueError):
        resample_curves(np.zeros(3), 0.0, 30.0, 1.0)
