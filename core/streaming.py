"""Streaming: audio arrives in chunks, animation frames come out a fixed look-ahead later.

This is the phonetic streaming engine (`voxrig stream --engine phonetic`; the live default
is the neural one, core/neural.py): the phonetic animator over a sliding window. One
pocketsphinx allphone decoder hears the audio incrementally (each sample
is decoded once; its partial phone segmentation is read every hop), and every `hop` seconds
the last `window` seconds of phones and audio go through the animator's passes. Frames are
emitted up to `delay` seconds before the newest audio: that look-ahead lets coarticulation
anticipate closures and lets the recogniser settle; where phones are not settled yet the
voice's loudness opens the jaw (the animator's loudness pass, and its "loud silence is
speech" rule). Pure computation: no clocks, no sockets; the caller feeds audio and sends
frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .align import new_decoder
from .animator import animate_curves
from .audio import Audio
from .config import ANALYSIS_RATE as RATE  # samples per second the engine takes
from .config import AlignConfig, AnimatorConfig
from .features import loudness_db
from .names import ARKIT_INDEX
from .phones import Phone, PhoneTimeline, contiguous

_FRAME = 0.01  # pocketsphinx frame step, seconds
_JAW = ARKIT_INDEX["jawOpen"]


@dataclass
class StreamConfig:
    window: float = 1.2  # s of recent audio and phones animated at each hop
    hop: float = 0.05  # s between updates (frames come out in bursts of hop * fps)
    delay: float = 0.1  # s look-ahead: a frame is emitted once audio this far past it is in
    restart_after: float = 6.0  # s: the decoder starts a new utterance at the next pause ...
    restart_always: float = 15.0  # s: ... or after this long even without a pause
    pause_db: float = -45.0  # dBFS: the last 0.2 s below this level counts as a pause
    animator: AnimatorConfig = field(default_factory=AnimatorConfig)
    align: AlignConfig = field(default_factory=AlignConfig)


SPEAKING_JAW = 0.05  # jawOpen above this in an engine's frame counts as speech


@dataclass(frozen=True)
class Frame:
    """Frame `index` of the stream, at `time` = index / fps seconds on the audio clock."""

    index: int
    time: float
    weights: np.ndarray  # (52,) float32 in [0, 1], ARKit-52 canonical order
    # (3,) float32 head rotation in degrees, the clip's order and signs: pitch (down +),
    # yaw (left +), roll; engines send it still, the living layer moves it
    head: np.ndarray = field(default_factory=lambda: np.zeros(3, np.float32))

    @property
    def speaking(self) -> bool:
        """Whether the engine's mouth says speech is heard: the live layers' only cue for
        phrases (a stream has no phones)."""
        return bool(self.weights[_JAW] > SPEAKING_JAW)


class StreamingAnimator:
    """Audio in (mono float32 at 16 kHz, any chunk size), frames out, in order, each once."""

    # Seconds of work one push can take before its frames are out, for a caller that paces
    # output: a hop's decoding and animation, measured at most 5 ms per 20 ms block on 2 cores.
    compute_allowance = 0.012

    def __init__(self, fps: float, config: StreamConfig | None = None) -> None:
        if not (np.isfinite(fps) and fps > 0):
            raise ValueError(f"fps must be positive, got {fps!r}")
        self.fps = float(fps)
        self.config = config or StreamConfig()
        self._decoder = new_decoder("allphone", self.config.align)
        self._decoder.reinit_feat()
        self._decoder.start_utt()
        self._utt_start = 0  # sample where the decoder's current utterance began
        self._done: list[Phone] = []  # phones of finished utterances (absolute seconds)
        keep = int((self.config.window + 1.0) * RATE)
        self._buffer = np.zeros(keep, dtype=np.float32)  # the newest `keep` samples
        self._received = 0  # samples pushed so far
        self._next_hop = int(self.config.hop * RATE)
        self._next_frame = 0
        self._finished = False
        self.restarts = 0  # decoder utterances begun after the first
        self._warm_up()

    # ------------------------------------------------------------------------- public

    @property
    def received_seconds(self) -> float:
        return self._received / RATE

    @property
    def latency(self) -> float:
        """Worst-case audio-to-frame delay of the engine itself (look-ahead + one hop)."""
        return self.config.delay + self.config.hop

    def push(self, samples: np.ndarray) -> list[Frame]:
        """Take more audio; return the frames it completes (possibly none)."""
        if self._finished:
            raise RuntimeError("push() after finish()")
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        if x.size == 0:
            return []
        self._append(x)
        self._decoder.process_raw(_pcm(x), full_utt=False)
        if self._received < self._next_hop:
            return []
        while self._next_hop <= self._received:  # updates on a fixed grid of hops
            self._next_hop += int(self.config.hop * RATE)
        frames = self._emit(self._received / RATE - self.config.delay)
        self._maybe_restart()
        return frames

    def finish(self) -> list[Frame]:
        """End of input: the remaining frames up to the last sample."""
        if self._finished:
            return []
        self._finished = True
        self._decoder.end_utt()
        self._done += self._segments()
        return self._emit(self._received / RATE)

    # ------------------------------------------------------------------------ details

    def _warm_up(self) -> None:
        """One animation of silence, so the first real hop is as fast as every later one
        (first calls pay for imports and allocations; a late first frame would be dropped)."""
        silence = np.zeros(int(self.config.window * RATE), dtype=np.float32)
        timeline = PhoneTimeline(contiguous([], self.config.window), self.config.window,
                                 "recognised")
        animate_curves(timeline, self.fps, self.config.animator, Audio(silence, RATE, "warm-up"))

    def _append(self, x: np.ndarray) -> None:
        n = self._buffer.size
        if x.size >= n:
            self._buffer[:] = x[-n:]
        else:
            self._buffer[:-x.size] = self._buffer[x.size:]
            self._buffer[-x.size:] = x
        self._received += x.size

    def _segments(self) -> list[Phone]:
        offset = self._utt_start / RATE
        return [Phone(s.word, offset + s.start_frame * _FRAME, offset + (s.end_frame + 1) * _FRAME)
                for s in (self._decoder.seg() or [])]  # fmt: skip

    def _maybe_restart(self) -> None:
        """Partial results cost more as an utterance grows: start a new one at a pause."""
        length = (self._received - self._utt_start) / RATE
        if length < self.config.restart_after:
            return
        if length < self.config.restart_always:
            tail = self._buffer[-int(0.2 * RATE):]
            if float(np.max(loudness_db(tail, RATE, 50.0))) > self.config.pause_db:
                return
        self._decoder.end_utt()
        self._done += self._segments()
        self._decoder.start_utt()
        self._utt_start = self._received
        self.restarts += 1
        horizon = self._received / RATE - self.config.window - 1.0
        self._done = [p for p in self._done if p.end > horizon]

    def _emit(self, until: float) -> list[Frame]:
        """Frames with time <= `until` not emitted yet, animated over the recent window."""
        last = int(np.floor(until * self.fps + 1e-9))
        if last < self._next_frame:
            return []
        now = self._received / RATE
        start = max(0.0, now - self.config.window)
        start = min(start, self._next_frame / self.fps)  # never animate less than is owed
        start = max(start, now - self._buffer.size / RATE)
        samples = self._buffer[self._buffer.size - (self._received - int(round(start * RATE))):]
        duration = samples.size / RATE
        phones = [Phone(p.label, p.start - start, p.end - start)
                  for p in self._done + (self._segments() if not self._finished else [])
                  if p.end > start]  # fmt: skip
        timeline = PhoneTimeline(contiguous(phones, duration), duration, "recognised")
        weights, _, _ = animate_curves(timeline, self.fps, self.config.animator,
                                       Audio(samples, RATE, "stream"))
        rate = self.config.animator.rate
        index = np.arange(self._next_frame, last + 1)
        pos = np.clip((index / self.fps - start) * rate, 0.0, weights.shape[0] - 1.0)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, weights.shape[0] - 1)
        frac = (pos - lo)[:, None]
        values = np.clip(weights[lo] * (1.0 - frac) + weights[hi] * frac, 0.0, 1.0)
        self._next_frame = last + 1
        return [Frame(int(i), float(i / self.fps), v.astype(np.float32))
                for i, v in zip(index, values, strict=True)]


def _pcm(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def stream_array(samples: np.ndarray, fps: float, chunk: float = 0.02,
                 config: StreamConfig | None = None) -> np.ndarray:
    """All frames of audio pushed in `chunk`-second pieces, as (T, 52): what a live stream of
    this audio would send, computed as fast as possible (tests, bench, comparisons)."""
    return np.stack([f.weights for f in stream_frames(samples, StreamingAnimator(fps, config),
                                                      chunk)] or [np.zeros(52, np.float32)])


def stream_frames(samples: np.ndarray, engine: StreamingAnimator, chunk: float = 0.02
                  ) -> list[Frame]:  # fmt: skip
    """Every frame `engine` makes of `samples` pushed in `chunk`-second pieces."""
    step = max(1, int(chunk * RATE))
    frames: list[Frame] = []
    for i in range(0, len(samples), step):
        frames += engine.push(samples[i:i + step])
    frames += engine.finish()
    return frames
