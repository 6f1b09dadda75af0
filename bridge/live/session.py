"""One streaming session: audio blocks in, engine, frame clock, datagrams out, until the
input ends or the caller stops it.

Two threads: the engine thread takes audio blocks and computes frames (a hop of work can take
several milliseconds); the calling thread only waits for each frame's slot and sends it, so
computation never delays a send. A short GIL switch interval lets the sender take over within
about a millisecond. Neither thread sleeps more than a few milliseconds, so Ctrl-C and `stop`
act at once."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from voxrig.core.engines import StreamingEngine
from voxrig.core.live_face import LiveFace
from voxrig.core.streaming import Frame

from .pacing import AudioClock, Counters, FramePacer
from .protocols import Encoder
from .sender import UdpSender
from .sources import BLOCK, Block, FileSource, MicSource, read_ahead
from .worker import EngineProcess

_NOTHING = np.zeros(0, dtype=np.float32)
POLL = 0.004  # s: longest sleep between looks at the clock, the input and the stop flag
Engine = StreamingEngine | EngineProcess
JITTER = 0.008  # s: the engine thread's polling (4 ms), the hand-over and the OS scheduler
SWITCH_INTERVAL = 0.001  # s: GIL hand-over between the engine and the sender thread


@dataclass
class SessionResult:
    counters: Counters
    frames: int  # frames the engine produced
    audio_seconds: float
    wall_seconds: float
    cpu_seconds: float
    stopped: bool  # ended by `stop` / Ctrl-C rather than by the end of the input
    engine_seconds: float  # wall seconds from the start until the engine's last frame

    @property
    def engine_speed(self) -> float:
        """How many times real time the engine computed (with everything it waited for)."""
        return self.audio_seconds / max(self.engine_seconds, 1e-9)


def output_delay(engine: Engine, speed: float = 1.0) -> float:
    """Wall seconds from hearing a sample to sending its frame: engine latency, one block,
    then a margin for the engine's work on that block and for scheduling jitter (neural
    10 ms, phonetic 20 ms); faster-than-real-time input shortens the audio part, and waits
    for the file's read-ahead, so the engine's first big hand-over is ready in time."""
    return ((engine.latency + BLOCK) / speed + engine.compute_allowance + JITTER
            + read_ahead(speed))


class _EngineThread(threading.Thread):
    """Blocks from the source into the engine, frames into the pacer, until the input ends."""

    def __init__(self, source, engine: Engine, clock: AudioClock,
                 pacer: FramePacer, lock: threading.Lock, stop: threading.Event,
                 on_block: Callable[[Block], None] | None,
                 living: LiveFace | None = None) -> None:
        super().__init__(name="voxrig-engine", daemon=True)
        self.source, self.engine, self.clock, self.pacer = source, engine, clock, pacer
        self.lock, self.stop, self.on_block = lock, stop, on_block
        self.living = living
        self.produced = 0
        self.done = threading.Event()
        self.finished_at = 0.0  # monotonic time the engine ended
        self.error: BaseException | None = None

    def _living(self, frames: list[Frame]) -> list[Frame]:
        """The living layer on the engine's frames, in stream order, before pacing (outside
        the lock: the sending thread never waits for it)."""
        return frames if self.living is None else [self.living.apply(f) for f in frames]

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                blocks = self.source.read(time.monotonic())
                if not blocks:  # nothing new heard: collect what the engine finished
                    frames = self._living(self.engine.push(_NOTHING))
                    with self.lock:
                        self.pacer.add(frames)
                    self.produced += len(frames)
                if blocks:  # in one push: each hand-over to the engine has its own cost
                    for block in blocks:
                        if self.on_block is not None:
                            self.on_block(block)
                    samples = np.concatenate([b.samples for b in blocks])
                    if self.living is not None:
                        self.living.hear(samples)
                    frames = self._living(self.engine.push(samples))
                    with self.lock:
                        for block in blocks:
                            self.clock.observe(block.audio_end, block.wall)
                        self.pacer.add(frames)
                    self.produced += len(frames)
                if self.source.finished:
                    frames = self._living(self.engine.finish())
                    with self.lock:
                        self.pacer.add(frames)
                    self.produced += len(frames)
                    return
                wait = self.source.next_time() - time.monotonic()
                time.sleep(min(POLL, max(0.0, wait)))
        except BaseException as exc:  # handed to the calling thread
            self.error = exc
        finally:
            self.finished_at = time.monotonic()
            self.done.set()


def run_session(
    source: FileSource | MicSource,
    engine: Engine,
    encoder: Encoder,
    sender: UdpSender,
    speed: float = 1.0,
    stop: threading.Event | None = None,
    on_block: Callable[[Block], None] | None = None,
    on_send: Callable[[Frame, float, float], None] | None = None,
    living: LiveFace | None = None,
) -> SessionResult:
    """Stream until the input ends (all frames sent) or `stop` is set. `on_block(block)` and
    `on_send(frame, due, sent_at)` let a caller (bench, tests) timestamp both ends; `living`
    (a LiveFace) hears the audio and adds expression, blinks, gaze and head motion to the
    engine's frames."""
    stop = stop or threading.Event()
    clock = AudioClock(speed=speed)
    pacer = FramePacer(engine.fps, output_delay(engine, speed), clock)
    lock = threading.Lock()
    counters = Counters()
    cpu0, wall0 = time.process_time(), time.monotonic()
    previous_interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    worker = _EngineThread(source, engine, clock, pacer, lock, stop, on_block, living)
    stopped = False
    try:
        source.start(time.monotonic())
        worker.start()
        while True:
            if stop.is_set():
                stopped = True
                break
            if worker.error is not None:
                raise worker.error
            with lock:
                due = pacer.take(time.monotonic()) if clock.started else []
            for frame, when in due:
                counters.sent += 1
                if not sender.send(encoder.datagrams(frame.index, frame.time, frame.weights,
                                                     frame.head)):
                    counters.failed += 1
                if on_send is not None:
                    on_send(frame, when, time.monotonic())
            with lock:
                pending = pacer.pending()
                nxt = pacer.next_due() if clock.started and pending else None
            if worker.done.is_set() and pending == 0:
                if worker.error is not None:
                    raise worker.error
                break
            wait = POLL if nxt is None else nxt - time.monotonic()
            time.sleep(min(POLL, max(0.0, wait)))
    except KeyboardInterrupt:
        stopped = True
    finally:
        stop.set()
        if worker.is_alive():
            worker.join(timeout=1.0)
        source.close()
        sys.setswitchinterval(previous_interval)
    counters.dropped = pacer.dropped
    return SessionResult(counters, worker.produced, engine.received_seconds,
                         time.monotonic() - wall0, time.process_time() - cpu0, stopped,
                         max(worker.finished_at, wall0) - wall0)
