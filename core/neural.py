"""The neural engine: log-mel audio (and, when known, the phones heard) through the shipped
ONNX audio-to-face model, offline and streaming.

The model (core/assets/neural/voxrig-a2f.onnx, trained by training/) is a causal network with
explicit caches: the same graph runs a whole file at once or 10 ms at a time with the caches
carried, and gives the same frames. Its output frame t describes the face at input frame
t - delay, so offline the input is padded with `delay` copies of its last frame and the first
`delay` outputs are dropped: one face frame per log-mel frame (frame j at j / 100 s).
Everything about the model (channels, phones, delay, cache shapes) is read from its metadata,
so a retrained model with the same inputs and outputs drops in unchanged. A model exported
with its phone head (`training/export.py --phone-logp`) has one more output, `phone_logp`:
per-frame log posteriors over its phones, which `NeuralEngine.phone_log_posteriors` gives,
timed like the face frames, for forced alignment (core/posterior_align.py)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import mel as melspec
from .audio import Audio
from .audio_resample import resample
from .config import ANALYSIS_RATE
from .curve_resample import frame_times
from .errors import VoxrigError
from .features import SPEECH_FLOOR_DB, loudness_db, runs, speech_level
from .names import ARKIT52, ARKIT_INDEX, SILENCE
from .phones import Phone, PhoneTimeline, contiguous
from .streaming import Frame

MODEL_PATH = Path(__file__).parent / "assets" / "neural" / "voxrig-a2f.onnx"
# One thread per session: on 60 s of speech it took 0.23 s against 0.31 s with two on a
# 2-core machine (the graph is small; splitting its ops costs more than it saves).
THREADS = 1
PIECE_FRAMES = 3000  # 30 s of frames per model call offline: memory bounded on long inputs
FRAME_RATE = ANALYSIS_RATE / melspec.HOP  # 100 Hz model frames
# Speech / pause marks for the layers that read phones (idle, emotion) when no phones are
# recognised: frames this far below the voice's level are quiet, quiet runs this long are
# pauses, and a loudness dip this deep between two peaks separates syllables.
QUIET_BELOW_DB = 30.0
PAUSE_SECONDS = 0.25
SYLLABLE_DIP_DB = 4.0
SPEECH_LABEL = "AH"  # a neutral vowel: speech whose phones are not known
PHONE_OUTPUT = "phone_logp"  # the optional phone head's output (log-softmax over `phones`)


@dataclass(frozen=True)
class ModelInfo:
    """What the model's metadata says (see training/export.py)."""

    name: str  # file name
    version: int
    channels: tuple[str, ...]  # ARKit names of the `weights` output columns
    phones: tuple[str, ...]  # labels of the `phones` input columns
    delay: int  # output frames lag input frames by this many
    caches: tuple[tuple[int, int], ...]  # (channels, frames) of each cache

    @property
    def description(self) -> str:
        return f"{self.name} v{self.version}"


class Model:
    """One onnxruntime session of the model with its validated metadata."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.session = _session(path)
        self.info = _validated_info(self.session, path)
        self.arkit_columns = np.array([ARKIT_INDEX[c] for c in self.info.channels])
        self._phone_ids = {p: i for i, p in enumerate(self.info.phones)}
        self._cache_names = [f"cache_{i}" for i in range(len(self.info.caches))]
        outputs = {o.name for o in self.session.get_outputs()}
        self.has_phone_output = PHONE_OUTPUT in outputs
        self._outputs = ["weights", "keypoints",
                         *(f"cache_out_{i}" for i in range(len(self.info.caches)))]

    def zero_caches(self) -> list[np.ndarray]:
        return [np.zeros((1, ch, n), np.float32) for ch, n in self.info.caches]

    def phone_id(self, label: str) -> int:
        """Column of a phone label in the FiLM input; -1 for labels the model does not know."""
        return self._phone_ids.get(label, -1)

    def run(self, mel: np.ndarray, phones: np.ndarray, caches: list[np.ndarray]
            ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:  # fmt: skip
        """(T, n_mels) log-mel and (T, n_phones) one-hot rows -> (T, channels) weights,
        (T, 204) keypoints in cm, and the caches for the next call."""
        feeds = {"mel": mel[None], "phones": phones[None]}
        feeds.update(zip(self._cache_names, caches, strict=True))
        weights, keypoints, *new = self.session.run(self._outputs, feeds)
        return weights[0], keypoints[0], new

    def run_phones(self, mel: np.ndarray, phones: np.ndarray, caches: list[np.ndarray]
                   ) -> tuple[np.ndarray, list[np.ndarray]]:  # fmt: skip
        """As `run`, for the phone head: (T, n_phones) log posteriors and the next caches."""
        feeds = {"mel": mel[None], "phones": phones[None]}
        feeds.update(zip(self._cache_names, caches, strict=True))
        logp, *new = self.session.run([PHONE_OUTPUT, *self._outputs[2:]], feeds)
        return logp[0], new


_loaded: dict[tuple[str, int], Model] = {}


def load_model(path: str | Path | None = None) -> Model:
    """The model, loaded once per process (a forked child loads its own: an onnxruntime
    session is not meant to cross a fork)."""
    path = Path(path) if path is not None else MODEL_PATH
    key = (str(path.resolve()), os.getpid())
    if key not in _loaded:
        _loaded[key] = Model(path)
    return _loaded[key]


def _session(path: Path):
    import onnxruntime as ort

    if not path.is_file():
        raise VoxrigError(f"the neural model {str(path)!r} is missing; reinstall voxrig or "
                          "use --engine phonetic")
    options = ort.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    options.log_severity_level = 4  # errors come back as exceptions, not as log lines
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own types for unreadable models
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise VoxrigError(f"the neural model {str(path)!r} cannot be loaded (corrupt or "
                          f"not an ONNX model: {reason[:160]}); reinstall voxrig or use "
                          "--engine phonetic") from None


def _validated_info(session, path: Path) -> ModelInfo:
    def bad(why: str) -> VoxrigError:
        return VoxrigError(f"the neural model {str(path)!r} is not a voxrig model: {why}")

    raw = session.get_modelmeta().custom_metadata_map.get("voxrig")
    if raw is None:
        raise bad("it has no 'voxrig' metadata")
    try:
        meta = json.loads(raw)
        info = ModelInfo(
            name=path.name,
            version=int(meta.get("version", 0)),
            channels=tuple(meta["channels"]),
            phones=tuple(meta["phones"]),
            delay=int(meta["delay_frames"]),
            caches=tuple((int(ch), int(n)) for ch, n in meta["caches"]),
        )
        features = {k: int(meta[k]) for k in ("sample_rate", "hop", "n_mels")}
    except (ValueError, KeyError, TypeError) as exc:
        raise bad(f"its metadata is unreadable ({type(exc).__name__}: {exc})") from None
    expected = {"sample_rate": ANALYSIS_RATE, "hop": melspec.HOP, "n_mels": melspec.N_MELS}
    if features != expected:
        raise bad(f"it was trained on features {features}, voxrig computes {expected}")
    unknown = [c for c in info.channels if c not in ARKIT_INDEX]
    if unknown or not info.channels:
        raise bad(f"unknown output channels {unknown}")
    if info.delay < 0:
        raise bad(f"negative delay {info.delay}")
    inputs = {i.name: i.shape for i in session.get_inputs()}
    outputs = {o.name for o in session.get_outputs()}
    wanted_in = {"mel", "phones", *(f"cache_{i}" for i in range(len(info.caches)))}
    wanted_out = {"weights", "keypoints", *(f"cache_out_{i}" for i in range(len(info.caches)))}
    if set(inputs) != wanted_in or outputs - {PHONE_OUTPUT} != wanted_out:
        raise bad(f"inputs {sorted(inputs)} / outputs {sorted(outputs)} do not match its "
                  "metadata")
    if inputs["phones"][-1] != len(info.phones) or inputs["mel"][-1] != melspec.N_MELS:
        raise bad("its mel or phones input width does not match its metadata")
    for i, (ch, n) in enumerate(info.caches):
        if list(inputs[f"cache_{i}"][1:]) != [ch, n]:
            raise bad(f"cache_{i} has shape {inputs[f'cache_{i}']}, metadata says {[ch, n]}")
    return info


# --------------------------------------------------------------------------- phones


def phone_ids(model: Model, phones: list[Phone] | None, count: int) -> np.ndarray:
    """(count,) FiLM column of the phone heard at each 10 ms frame (frame t at t / 100 s,
    inside [start, end)), -1 where unknown: the training recipe's definition."""
    ids = np.full(count, -1, np.int16)
    if not phones:
        return ids
    times = np.arange(count) / FRAME_RATE
    for p in phones:
        a, b = np.searchsorted(times, [p.start, p.end])
        ids[a:b] = model.phone_id(p.label) if p.label in model.info.phones \
            else model.phone_id(SILENCE)
    return ids


def _one_hot(ids: np.ndarray, width: int) -> np.ndarray:
    rows = np.zeros((len(ids), width), np.float32)
    known = ids >= 0
    rows[np.flatnonzero(known), ids[known]] = 1.0
    return rows


def samples_16k(audio: Audio) -> np.ndarray:
    """The audio's samples at the model's rate."""
    if audio.sample_rate == ANALYSIS_RATE:
        return audio.samples
    return resample(audio.samples, audio.sample_rate, ANALYSIS_RATE)


def speech_timeline(audio: Audio) -> PhoneTimeline:
    """Where the voice speaks and pauses, from its loudness alone (no recognition), as a
    phone timeline for the layers that need one: `sil` in pauses of PAUSE_SECONDS or more,
    one SPEECH_LABEL per syllable-like loudness peak elsewhere (so phrase ends, breaths and
    the speaking rate that idle motion and emotion read are still there)."""
    duration = audio.duration
    db = loudness_db(audio.samples, audio.sample_rate, FRAME_RATE)
    loud = db > max(speech_level(db) - QUIET_BELOW_DB, SPEECH_FLOOR_DB)
    speech = loud.copy()
    gap = int(round(PAUSE_SECONDS * FRAME_RATE))
    for a, b in runs(~loud):  # short quiet gaps inside speech are part of it
        if b - a < gap and a > 0 and b < len(loud):
            speech[a:b] = True
    phones = []
    for a, b in runs(speech):
        bounds = [a, *_syllable_cuts(db[a:b], a), b]
        phones += [Phone(SPEECH_LABEL, float(s / FRAME_RATE), min(float(e / FRAME_RATE), duration))
                   for s, e in zip(bounds[:-1], bounds[1:], strict=True)]
    return PhoneTimeline(contiguous(phones, duration), duration, "loudness")


SPEECH_GAP_MM = 3.0  # lips this far apart ...
SPEECH_MIN_SECONDS = 0.1  # ... for this long in all: the model heard a voice


def mouth_moved(weights: np.ndarray, rate: float) -> bool:
    """Whether the model opened the mouth like speech: trained on tones, noise, hum and
    chords with a face at rest, it keeps the lips together for sound that is not a voice."""
    from .rig import mouth_signals

    gap, _ = mouth_signals(weights)
    return float(np.sum(gap > SPEECH_GAP_MM)) / rate >= SPEECH_MIN_SECONDS


def _syllable_cuts(db: np.ndarray, offset: int) -> list[int]:
    """Frames (offset added) of the loudness dips between syllables: a minimum at least
    SYLLABLE_DIP_DB below the peaks on both sides of it."""
    smooth = np.convolve(np.pad(db, 2, mode="edge"), np.ones(5) / 5, mode="valid")
    cuts: list[int] = []
    peak, valley, valley_at = -np.inf, np.inf, -1
    for i, v in enumerate(smooth.tolist()):
        if valley_at >= 0 and peak - valley >= SYLLABLE_DIP_DB and v - valley >= SYLLABLE_DIP_DB:
            cuts.append(offset + valley_at)
            peak, valley, valley_at = v, np.inf, -1
        elif v > peak:
            peak, valley, valley_at = v, np.inf, -1
        elif v < valley:
            valley, valley_at = v, i
    return cuts


# --------------------------------------------------------------------------- core stream


class _ModelStream:
    """Samples in, 100 Hz face frames out, with the caches carried: the one computation
    behind both offline prediction and streaming. Frame j comes out once input frame
    j + delay is in (its window complete); `finish` pads the end as offline does."""

    def __init__(self, model: Model, phones: Callable[[int, int], np.ndarray] | None = None
                 ) -> None:  # fmt: skip
        self.model = model
        self._phones = phones  # (first, end) -> one-hot rows of input frames [first, end)
        self._mel = melspec.MelStream()
        self._caches = model.zero_caches()
        self._inputs = 0  # mel frames fed to the model so far
        self._last_mel: np.ndarray | None = None
        self._last_phone: np.ndarray | None = None
        self._width = len(model.info.phones)

    def push(self, samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._run(self._mel.push(samples))

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        """The frames still owed once the audio has ended."""
        weights, keypoints = self._run(self._mel.finish())
        delay = self.model.info.delay
        if delay == 0 or self._last_mel is None:
            return weights, keypoints
        pad = np.repeat(self._last_mel[None], delay, axis=0)
        tail = np.repeat(self._last_phone[None], delay, axis=0)
        more_w, more_k = self._run(pad, tail, padding=True)
        return np.concatenate([weights, more_w]), np.concatenate([keypoints, more_k])

    def _run(self, mel: np.ndarray, phones: np.ndarray | None = None, padding: bool = False
             ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        count = len(mel)
        if count == 0:
            return _empty(len(self.model.info.channels)), _empty(204)
        if phones is None:
            phones = (self._phones(self._inputs, self._inputs + count) if self._phones
                      else np.zeros((count, self._width), np.float32))
        weights, keypoints, self._caches = self.model.run(mel, phones, self._caches)
        first = self._inputs
        self._inputs += count
        if not padding:
            self._last_mel, self._last_phone = mel[-1], phones[-1]
        drop = max(0, self.model.info.delay - first)  # outputs before frame 0 of the face
        return weights[drop:], keypoints[drop:]


def _empty(width: int) -> np.ndarray:
    return np.zeros((0, width), np.float32)


# --------------------------------------------------------------------------- offline


class NeuralEngine:
    """Offline prediction: the whole input, in pieces with the caches carried (exact)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.model = load_model(path)

    @property
    def info(self) -> ModelInfo:
        return self.model.info

    def predict(self, samples_16k: np.ndarray, phones: list[Phone] | None = None
                ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """(n,) samples at 16 kHz (and optionally the phones heard, seconds from sample 0)
        -> ((N, 52) ARKit-52 weights, the model's channels filled and the rest 0;
        (N, 68, 3) keypoint displacements in cm), N = n // 160 + 1, frame j at j / 100 s."""
        x = np.asarray(samples_16k, dtype=np.float32).reshape(-1)
        count = melspec.frame_count(len(x))
        ids = phone_ids(self.model, phones, count)
        width = len(self.model.info.phones)

        def rows(first: int, end: int) -> np.ndarray:
            return _one_hot(ids[np.minimum(np.arange(first, end), count - 1)], width)

        stream = _ModelStream(self.model, rows)
        weights = np.zeros((count, len(ARKIT52)), np.float32)
        keypoints = np.zeros((count, 68, 3), np.float32)
        done = 0
        step = PIECE_FRAMES * melspec.HOP
        pieces = [x[i:i + step] for i in range(0, len(x), step)] or [x]
        for index, piece in enumerate(pieces):
            w, k = stream.push(piece)
            if index == len(pieces) - 1:
                end_w, end_k = stream.finish()
                w, k = np.concatenate([w, end_w]), np.concatenate([k, end_k])
            weights[done:done + len(w), self.model.arkit_columns] = w
            keypoints[done:done + len(k)] = k.reshape(-1, 68, 3)
            done += len(w)
        assert done == count, (done, count)
        return weights, keypoints

    def phone_log_posteriors(self, samples_16k: np.ndarray) -> np.ndarray | None:
        """(N, n_phones) log posteriors of the phone heard at each 10 ms frame (frame j at
        j / 100 s, as `predict`'s frames: the model's delay is undone the same way), from the
        audio alone (no phones told); None when the model has no phone head."""
        if not self.model.has_phone_output:
            return None
        mel = melspec.log_mel(np.asarray(samples_16k, dtype=np.float32).reshape(-1))
        delay = self.model.info.delay
        mel = np.concatenate([mel, np.repeat(mel[-1:], delay, axis=0)])
        told = np.zeros((min(len(mel), PIECE_FRAMES), len(self.model.info.phones)), np.float32)
        caches, pieces = self.model.zero_caches(), []
        for first in range(0, len(mel), PIECE_FRAMES):
            piece = mel[first:first + PIECE_FRAMES]
            logp, caches = self.model.run_phones(piece, told[: len(piece)], caches)
            pieces.append(logp)
        return np.concatenate(pieces)[delay:]


# --------------------------------------------------------------------------- streaming


class NeuralStreamingAnimator:
    """StreamingAnimator's interface on the neural engine: audio in (mono float32 at 16 kHz,
    any chunk size), frames at `fps` out, in order, each once. Frame i (at i / fps) is the
    linear interpolation of its two neighbouring 100 Hz model frames, as the offline bake
    resamples them, emitted as soon as both exist. One model call per push."""

    # Seconds of work one push can take before its frames are out, for a caller that paces
    # output: measured at most 1.0 ms per 20 ms block on 2 cores (bench: 0.81 ms per 10 ms).
    compute_allowance = 0.002

    def __init__(self, fps: float, config: object = None, path: str | Path | None = None
                 ) -> None:  # fmt: skip
        """`config` (the phonetic engine's StreamConfig) is not used: every streaming engine
        is built with the same arguments (core/engines.create_streaming)."""
        if not (np.isfinite(fps) and fps > 0):
            raise ValueError(f"fps must be positive, got {fps!r}")
        self.fps = float(fps)
        self.model = load_model(path)
        self._stream = _ModelStream(self.model)
        self._frames = np.zeros((0, len(ARKIT52)), np.float32)  # 100 Hz frames kept
        self._base = 0  # 100 Hz index of self._frames[0]
        self._next = 0  # next output frame index
        self._received = 0
        self._finished = False
        self._warm_up()

    @property
    def received_seconds(self) -> float:
        return self._received / ANALYSIS_RATE

    @property
    def latency(self) -> float:
        """Worst-case audio-to-frame delay of the engine itself: the model's look-ahead,
        half an analysis window, and one 10 ms frame for the right interpolation neighbour."""
        return self.model.info.delay / FRAME_RATE + melspec.HALF / ANALYSIS_RATE + 1.0 / FRAME_RATE

    def push(self, samples: np.ndarray) -> list[Frame]:
        """Take more audio; return the frames it completes (possibly none)."""
        if self._finished:
            raise RuntimeError("push() after finish()")
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        if x.size == 0:
            return []
        self._received += x.size
        weights, _ = self._stream.push(x)
        self._add(weights)
        return self._emit(final=False)

    def finish(self) -> list[Frame]:
        """End of input: the remaining frames up to the last sample."""
        if self._finished:
            return []
        self._finished = True
        weights, _ = self._stream.finish()
        self._add(weights)
        return self._emit(final=True)

    def _warm_up(self) -> None:
        """One call on silence, so the first real push is as fast as every later one."""
        warm = _ModelStream(self.model)
        warm.push(np.zeros(melspec.HOP * 4, np.float32))

    def _add(self, weights: np.ndarray) -> None:
        if len(weights):
            full = np.zeros((len(weights), len(ARKIT52)), np.float32)
            full[:, self.model.arkit_columns] = weights
            self._frames = np.concatenate([self._frames, full])

    def _emit(self, final: bool) -> list[Frame]:
        available = self._base + len(self._frames)  # 100 Hz frames known so far
        if final:
            last = len(frame_times(self._received / ANALYSIS_RATE, self.fps)) - 1
        else:  # the last frame whose right neighbour is known
            last = int(np.floor((available - 1) / FRAME_RATE * self.fps + 1e-9))
            while last >= self._next and _needed(last, self.fps) >= available:
                last -= 1
        if last < self._next or available == 0:
            return []
        index = np.arange(self._next, last + 1)
        position = np.clip(index / self.fps * FRAME_RATE, 0.0, available - 1)
        left = np.floor(position).astype(np.int64)
        right = np.minimum(left + 1, available - 1)
        frac = (position - left)[:, None]
        f = self._frames
        values = f[left - self._base] * (1.0 - frac) + f[right - self._base] * frac
        self._next = last + 1
        keep = int(np.floor(self._next / self.fps * FRAME_RATE)) - self._base
        if keep > 0:
            self._frames = self._frames[min(keep, len(f) - 1):]
            self._base += min(keep, len(f) - 1)
        return [Frame(int(i), float(i / self.fps), v.astype(np.float32))
                for i, v in zip(index, values, strict=True)]


def _needed(index: int, fps: float) -> int:
    """The highest 100 Hz frame that output frame `index` interpolates from."""
    position = index / fps * FRAME_RATE
    left = int(np.floor(position))
    return left if position == left else left + 1
