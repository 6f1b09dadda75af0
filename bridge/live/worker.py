"""The streaming engine in its own process. Decoding and animating a hop holds the GIL for
milliseconds at a time (pocketsphinx and small numpy calls; the neural engine's features and
model call too, if less), which would make the sending thread miss its slots; in a separate
process they cannot get in each other's way."""

from __future__ import annotations

import contextlib
import multiprocessing
import signal

import numpy as np

from voxrig.core.engines import create_streaming
from voxrig.core.errors import VoxrigError
from voxrig.core.streaming import RATE, Frame, StreamConfig


def _serve(conn, fps: float, config: StreamConfig | None, kind: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and closes us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler: close ends us
    try:
        engine = create_streaming(kind, fps, config)
    except Exception as exc:  # reported by the parent as one line
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", engine.latency, engine.compute_allowance))
    try:
        while True:
            samples = conn.recv()
            if isinstance(samples, str):  # "stop": the parent is closing
                return
            frames = engine.finish() if samples is None else engine.push(samples)
            if frames:
                conn.send(("frames", frames[0].index,
                           np.stack([f.weights for f in frames])))
            if samples is None:
                conn.send(("done",))
                return
    except (EOFError, OSError, KeyboardInterrupt):
        return


class EngineProcess:
    """A streaming engine's push / finish (neural by default, or phonetic), computed in a
    child process: `push` hands the audio over and returns whatever frames are ready by then
    (possibly from earlier pushes)."""

    def __init__(self, fps: float, config: StreamConfig | None = None,
                 engine: str = "neural") -> None:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.fps = float(fps)
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, self.fps, config, engine),
                                        name="voxrig-engine", daemon=True)
        self._process.start()
        child.close()
        reply = self._conn.recv()
        if reply[0] != "ready":
            self.close()
            raise VoxrigError(f"the streaming engine did not start: {reply[1]}")
        self.latency: float = reply[1]
        self.compute_allowance: float = reply[2]
        self._received = 0
        self._done = False

    @property
    def received_seconds(self) -> float:
        return self._received / RATE

    def push(self, samples: np.ndarray) -> list[Frame]:
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        if x.size:
            self._conn.send(x)
            self._received += x.size
        return self._collect(until_done=False)

    def finish(self) -> list[Frame]:
        if self._done:
            return []
        self._conn.send(None)
        return self._collect(until_done=True)

    def _collect(self, until_done: bool) -> list[Frame]:
        out: list[Frame] = []
        while until_done or self._conn.poll():
            reply = self._conn.recv()
            if reply[0] == "done":
                self._done = True
                break
            _, first, weights = reply
            out += [Frame(first + i, (first + i) / self.fps, w) for i, w in enumerate(weights)]
        return out

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._conn.send("stop")
        self._conn.close()
        self._process.join(timeout=0.5)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=0.5)
