"""Audio in, as it would arrive live: a file paced to the wall clock (optionally played
through the sound card) or a microphone. Each source hands out blocks with the audio time
at their end and the wall time they arrived, for the frame clock. `sounddevice` (PortAudio)
is imported only when the sound card is used."""

from __future__ import annotations

import math
import queue
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

from voxrig.core.audio import Audio, load_audio
from voxrig.core.errors import VoxrigError
from voxrig.core.streaming import RATE

BLOCK = 0.02  # s: audio block size, like a sound card's callback period
# s of wall time a file faster than real time is handed to the engine ahead of its schedule:
# many blocks per hand-over instead of one, since each hand-over to the engine process costs
# more than the block's work (20 ms blocks: 18x real time at most; 200 ms: over 100x).
READ_AHEAD = 0.25


def read_ahead(speed: float) -> float:
    """Wall seconds a file at `speed` is read ahead of its schedule (0 at real time: live)."""
    return READ_AHEAD if speed > 1.0 else 0.0


@dataclass
class Block:
    samples: np.ndarray  # mono float32 at RATE
    audio_end: float  # seconds of audio up to the end of this block
    wall: float  # monotonic time it was available


def sounddevice() -> ModuleType:
    """The sounddevice module, or a one-line error saying what to install."""
    try:
        import sounddevice as sd
    except ImportError:
        raise VoxrigError("the sound card needs the 'sounddevice' package "
                          "(pip install 'voxrig[live]')") from None
    except OSError:
        raise VoxrigError("the sound card needs the PortAudio library "
                          "(Debian/Ubuntu: apt-get install libportaudio2)") from None
    return sd


def list_devices() -> str:
    """The sound devices PortAudio sees, one per line (input and output channel counts)."""
    sd = sounddevice()
    devices = sd.query_devices()
    if len(devices) == 0:
        return "no audio devices found"
    lines = []
    for i, d in enumerate(devices):
        lines.append(f"{i:3d}  {d['name']}  (in {d['max_input_channels']}, "
                     f"out {d['max_output_channels']}, {d['default_samplerate']:.0f} Hz)")
    return "\n".join(lines)


class FileSource:
    """A file delivered block by block as its audio time comes, `speed` times real time. At
    real time it arrives as live audio would; faster, it is read READ_AHEAD ahead of time
    (each block still stamped with its scheduled time, so the frame clock is the schedule)."""

    def __init__(self, path: str | Path | Audio, speed: float = 1.0, play: bool = False,
                 device: int | str | None = None) -> None:
        self.device = device
        self.audio = path if isinstance(path, Audio) else load_audio(path)
        self.speed = speed
        self.play = play
        self.warnings = list(self.audio.warnings)
        self._block = int(BLOCK * RATE)
        self._blocks = math.ceil(len(self.audio.samples) / self._block)
        self._next = 0
        self._start = 0.0
        self._ahead = read_ahead(speed)
        self._sd: ModuleType | None = sounddevice() if play else None
        if self._sd is not None and device is None and not any(
                d["max_output_channels"] > 0 for d in self._sd.query_devices()):
            raise VoxrigError("cannot play the audio: no sound output device found "
                              "(see voxrig stream --list-devices)")

    @property
    def duration(self) -> float:
        return self.audio.duration

    @property
    def finished(self) -> bool:
        return self._next >= self._blocks

    def start(self, now: float) -> None:
        self._start = now
        if self._sd is not None:
            try:
                self._sd.play(self.audio.samples, RATE, device=self.device)
            except Exception as exc:  # PortAudioError and friends: no usable output device
                raise VoxrigError(f"cannot play the audio: {_first_line(exc)} "
                                  "(see voxrig stream --list-devices)") from None

    def read(self, now: float) -> list[Block]:
        ahead = now - self._start + self._ahead
        due = min(self._blocks, int(ahead * self.speed / BLOCK + 1e-9))
        out = []
        while self._next < due:
            a = self._next * self._block
            samples = self.audio.samples[a:a + self._block]
            self._next += 1
            end = (a + len(samples)) / RATE
            out.append(Block(samples, end, max(now, self._start + end / self.speed)))
        return out

    def next_time(self) -> float:
        """When the next block is due (monotonic seconds)."""
        return self._start + (self._next + 1) * BLOCK / self.speed - self._ahead

    def close(self) -> None:
        if self._sd is not None:
            self._sd.stop()


class MicSource:
    """A live input device; blocks arrive from PortAudio's callback thread through a queue."""

    def __init__(self, device: int | str | None = None) -> None:
        import time

        self._sd = sounddevice()
        self.device = device
        self.warnings: list[str] = []
        self._queue: queue.Queue[tuple[np.ndarray, float]] = queue.Queue()
        self._received = 0
        self.finished = False
        self.duration = math.inf

        def callback(indata, frames, time_info, status) -> None:
            self._queue.put((indata[:, 0].copy(), time.monotonic()))

        which = f"device {device}" if device is not None else "the default input"
        if device is None and not any(d["max_input_channels"] > 0
                                      for d in self._sd.query_devices()):
            raise VoxrigError("cannot record: no audio input device found "
                              "(see voxrig stream --list-devices)")
        try:  # opened here, so a bad device is an error before streaming is announced
            self._stream = self._sd.InputStream(samplerate=RATE, channels=1, dtype="float32",
                                                blocksize=int(BLOCK * RATE), device=device,
                                                callback=callback)
        except Exception as exc:  # PortAudioError, ValueError for a bad device
            raise VoxrigError(f"cannot record from {which}: {_first_line(exc)} "
                              "(see voxrig stream --list-devices)") from None

    def start(self, now: float) -> None:
        self._stream.start()

    def read(self, now: float) -> list[Block]:
        out = []
        while True:
            try:
                samples, wall = self._queue.get_nowait()
            except queue.Empty:
                return out
            self._received += len(samples)
            out.append(Block(samples, self._received / RATE, wall))

    def next_time(self) -> float:
        return math.inf

    def close(self) -> None:
        self._stream.stop()
        self._stream.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
