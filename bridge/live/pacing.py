"""The frame clock: frame k goes out when the audio at k / fps was heard, plus a fixed output
delay, so frames leave at a steady rate locked to the audio (not to when they were computed)
and never drift from it. A frame that is ready too late is dropped, not sent in a bunch."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from voxrig.core.streaming import Frame


class AudioClock:
    """Maps audio time (seconds of samples received) to wall time. Each observation is (audio
    time at the end of a block, wall time it arrived); the earliest-arriving recent block
    gives the mapping (later ones were merely delivered late). Recent = the last `memory`
    seconds, so a sound card whose clock runs slightly fast or slow is followed, not fought."""

    def __init__(self, speed: float = 1.0, memory: float = 10.0) -> None:
        self.speed = speed
        self.memory = memory
        self._seen: deque[tuple[float, float]] = deque()  # (audio time, offset)

    def observe(self, audio_time: float, wall: float) -> None:
        offset = wall - audio_time / self.speed
        while self._seen and self._seen[-1][1] >= offset:
            self._seen.pop()  # a later block arriving earlier supersedes them as the minimum
        self._seen.append((audio_time, offset))
        while self._seen and self._seen[0][0] < audio_time - self.memory:
            self._seen.popleft()

    @property
    def started(self) -> bool:
        return bool(self._seen)

    def wall_of(self, audio_time: float) -> float:
        return audio_time / self.speed + self._seen[0][1]


@dataclass
class Counters:
    sent: int = 0  # frames sent in their slot
    dropped: int = 0  # frames ready too late for their slot (not sent)
    failed: int = 0  # of the frames sent, those the network refused (no receiver, ...)


class FramePacer:
    """Holds computed frames until their slot: due(k) = wall_of(k / fps) + delay."""

    def __init__(self, fps: float, delay: float, clock: AudioClock, late: float | None = None
                 ) -> None:  # fmt: skip
        self.fps = fps
        self.delay = delay
        self.clock = clock
        self.late = late if late is not None else 1.0 / fps  # later than this: dropped
        self._queue: deque[Frame] = deque()
        self.dropped = 0

    def add(self, frames: list[Frame]) -> None:
        self._queue.extend(frames)

    def due_time(self, frame: Frame) -> float:
        return self.clock.wall_of(frame.time) + self.delay

    def next_due(self) -> float | None:
        return self.due_time(self._queue[0]) if self._queue else None

    def take(self, now: float) -> list[tuple[Frame, float]]:
        """(frame, its due time) for frames whose slot has come; late ones are dropped."""
        out: list[tuple[Frame, float]] = []
        while self._queue and self.due_time(self._queue[0]) <= now:
            frame = self._queue.popleft()
            due = self.due_time(frame)
            if now - due > self.late:
                self.dropped += 1
            else:
                out.append((frame, due))
        return out

    def pending(self) -> int:
        return len(self._queue)
