"""The frame clock: slots locked to the audio clock, a sound card that runs fast or slow
followed rather than fought, and a late frame dropped rather than sent in a bunch."""

import numpy as np
import pytest

from voxrig.bridge.live.pacing import AudioClock, FramePacer
from voxrig.bridge.live.session import output_delay
from voxrig.core.streaming import Frame


def frame(i: int, fps: float = 60.0) -> Frame:
    return Frame(i, i / fps, np.zeros(52, dtype=np.float32))


def test_the_earliest_arriving_block_sets_the_clock():
    clock = AudioClock()
    clock.observe(0.02, 100.025)  # delivered 5 ms late
    clock.observe(0.04, 100.040)  # on time
    clock.observe(0.06, 100.070)  # 10 ms late
    assert clock.wall_of(1.0) == pytest.approx(101.0)


def test_a_sound_card_clock_that_runs_fast_is_followed():
    clock = AudioClock(memory=2.0)
    for k in range(1, 1001):  # 20 s of 20 ms blocks, the card 0.1 % fast
        audio = k * 0.02
        clock.observe(audio, 50.0 + audio / 1.001)
    assert clock.wall_of(20.0) == pytest.approx(50.0 + 20.0 / 1.001, abs=1e-3)


def test_faster_than_real_time_input_scales_the_clock():
    clock = AudioClock(speed=4.0)
    clock.observe(0.4, 10.1)
    assert clock.wall_of(2.0) == pytest.approx(10.5)


def test_frames_wait_for_their_slot_and_go_out_in_order():
    clock = AudioClock()
    clock.observe(0.0, 10.0)
    pacer = FramePacer(60.0, delay=0.2, clock=clock)
    pacer.add([frame(i) for i in range(6)])
    assert pacer.take(10.19) == []
    assert pacer.next_due() == pytest.approx(10.2)
    sent = []
    for k in range(3):  # the sender wakes 1 ms after each slot
        sent += pacer.take(10.2 + k / 60 + 0.001)
    assert [f.index for f, _ in sent] == [0, 1, 2]
    assert [due for _, due in sent] == pytest.approx([10.2, 10.2 + 1 / 60, 10.2 + 2 / 60])
    assert pacer.dropped == 0 and pacer.pending() == 3


def test_frames_more_than_one_period_late_are_dropped_not_bunched():
    clock = AudioClock()
    clock.observe(0.0, 10.0)
    pacer = FramePacer(60.0, delay=0.2, clock=clock)
    pacer.add([frame(i) for i in range(10)])
    sent = pacer.take(10.2 + 5.5 / 60)  # woke up 5.5 frames late
    assert [f.index for f, _ in sent] == [5]  # only the frame whose slot is now
    assert pacer.dropped == 5


def test_the_output_delay_leaves_each_engine_room_for_its_own_work():
    """Look-ahead and one audio block, then the engine's compute per block and 8 ms of
    scheduling: the neural engine (1 ms of work) waits 10 ms more, the phonetic one 20 ms;
    a file paced faster than real time waits for its read-ahead too; the engine process
    hands its engine's allowance over."""
    from voxrig.bridge.live.sources import BLOCK, READ_AHEAD
    from voxrig.bridge.live.worker import EngineProcess
    from voxrig.core.neural import NeuralStreamingAnimator
    from voxrig.core.streaming import StreamingAnimator

    neural, phonetic = NeuralStreamingAnimator(60.0), StreamingAnimator(60.0)
    assert output_delay(neural) == pytest.approx(neural.latency + BLOCK + 0.010)
    assert output_delay(phonetic) == pytest.approx(phonetic.latency + BLOCK + 0.020)
    # faster than real time the audio part shrinks and the file's read-ahead is waited for
    assert output_delay(neural, speed=2.0) == pytest.approx(
        (neural.latency + BLOCK) / 2 + 0.010 + READ_AHEAD)
    process = EngineProcess(60.0)
    try:
        assert output_delay(process) == pytest.approx(output_delay(neural))
    finally:
        process.close()
