"""Live streaming measurements (`python -m bench --only latency` / `--only soak`).

latency: end-to-end delay from an audio sample entering voxrig (the moment the block that
holds it is handed to the engine) to the first OSC frame that reflects it leaving (sent on
loopback). The input is speech bursts after silences; for each burst onset the first frame
whose jawOpen rises above rest counts as the response. Run through the same session, engine
process and sender as `voxrig stream`, paced in real time at 60 fps. Also the CPU used (sender
and engine process together, share of one core).

soak: `voxrig stream` itself (a subprocess) streams a long input (default 10 minutes) in the
generic protocol to a receiver here on loopback; lost = messages sent but not received, drift =
how far frame arrival times moved against the audio clock from the first to the last 10 s.
"""

from __future__ import annotations

import re
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from voxrig.bridge.cli import SAMPLE_AUDIO
from voxrig.core.audio import audio_from_array, load_audio
from voxrig.core.names import ARKIT_INDEX
from voxrig.core.streaming import RATE

FPS = 60.0
JAW = ARKIT_INDEX["jawOpen"]
RESPONSE = 0.03  # jawOpen above its rest value by this much = the face responds


def _speech_bursts(count: int, seed: int = 0) -> tuple[np.ndarray, list[float]]:
    """Silence, then 0.6 s of speech taken from inside the sample (so it starts loud), ...:
    the audio and the onset time of every burst."""
    speech = load_audio(SAMPLE_AUDIO).samples
    rng = np.random.default_rng(seed)
    env = np.convolve(speech**2, np.ones(320) / 320, mode="same")
    loud = np.flatnonzero(env > 0.25 * env.max())
    loud = loud[(loud > RATE) & (loud < len(speech) - RATE)]
    parts, onsets, cursor = [], [], 0
    fade = np.linspace(0.0, 1.0, 80, dtype=np.float32)  # 5 ms: an onset, not a click
    for _ in range(count):
        gap = np.zeros(int(rng.uniform(0.9, 1.4) * RATE), dtype=np.float32)
        start = int(rng.choice(loud))
        burst = speech[start:start + int(0.6 * RATE)].copy()
        burst[:fade.size] *= fade
        parts += [gap, burst]
        cursor += gap.size
        onsets.append(cursor / RATE)
        cursor += burst.size
    parts.append(np.zeros(RATE, dtype=np.float32))
    return np.concatenate(parts), onsets


HAPPY_LINE = "I am so happy to see you, this is wonderful!"  # said to the emotion layer


def every_layer(listen: bool = False):
    """The live face with every layer on: expression (auto, a text-feed line already said,
    the voice's arousal), blinks, gaze, head motion (pitch-accent nods) and breaths; or the
    listener."""
    from voxrig.core.config import EmotionConfig, IdleConfig
    from voxrig.core.live_face import listener_face, speaker_face

    if listen:
        return listener_face(IdleConfig(listen=True))
    face = speaker_face(EmotionConfig(), IdleConfig())
    face.say(HAPPY_LINE)
    return face


def run_latency(bursts: int = 40, engine_name: str = "neural", layers: bool = False) -> dict:
    from voxrig.bridge.live.protocols import Encoder
    from voxrig.bridge.live.sender import UdpSender
    from voxrig.bridge.live.session import output_delay, run_session
    from voxrig.bridge.live.sources import FileSource
    from voxrig.bridge.live.worker import EngineProcess

    samples, onsets = _speech_bursts(bursts)
    entered: list[tuple[float, float]] = []  # (audio time at block end, wall time)
    sent: list[tuple[int, float, np.ndarray]] = []
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    stop = threading.Event()
    drain = threading.Thread(target=_drain, args=(receiver, stop), daemon=True)
    drain.start()
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    engine = EngineProcess(FPS, engine=engine_name)
    sender = UdpSender("127.0.0.1", receiver.getsockname()[1])
    try:
        result = run_session(
            FileSource(audio_from_array(samples, RATE, source="bursts")), engine,
            Encoder("vmc", fps=FPS), sender,
            on_block=lambda b: entered.append((b.audio_end, time.monotonic())),
            on_send=lambda f, due, at: sent.append((f.index, at, f.weights[JAW])),
            living=every_layer() if layers else None,
        )
        delay = output_delay(engine)
    finally:
        engine.close()
        sender.close()
        stop.set()
        drain.join()
        receiver.close()
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    engine_cpu = (children1.ru_utime + children1.ru_stime) - (children0.ru_utime
                                                             + children0.ru_stime)
    block_end = np.array([a for a, _ in entered])
    block_wall = np.array([w for _, w in entered])
    index = np.array([i for i, _, _ in sent])
    sent_at = np.array([t for _, t, _ in sent])
    jaw = np.array([j for _, _, j in sent])
    latencies, missed = [], 0
    for onset in onsets:
        arrived = block_wall[np.searchsorted(block_end, onset + 1e-9)]
        rest = np.median(jaw[(index / FPS > onset - 0.6) & (index / FPS < onset - 0.3)])
        after = np.flatnonzero((index / FPS >= onset - 0.2) & (index / FPS <= onset + 0.6)
                               & (jaw > rest + RESPONSE))  # fmt: skip
        if after.size == 0:
            missed += 1
            continue
        latencies.append(sent_at[after[0]] - arrived)
    lat = np.array(latencies) * 1000.0
    return {
        "engine": ENGINE_LABELS[engine_name],
        "layers": "every layer (emotion, blinks, gaze, head, breaths)" if layers else
                  "mouth only",
        "fps": FPS,
        "onsets": len(onsets),
        "missed": missed,
        "p50_ms": round(float(np.percentile(lat, 50)), 1),
        "p95_ms": round(float(np.percentile(lat, 95)), 1),
        "max_ms": round(float(lat.max()), 1),
        "min_ms": round(float(lat.min()), 1),
        "output_delay_ms": round(delay * 1000.0, 1),
        "sent": result.counters.sent,
        "dropped": result.counters.dropped,
        "audio_seconds": round(result.audio_seconds, 1),
        "cpu_sender_pct": round(100 * result.cpu_seconds / result.wall_seconds, 1),
        "cpu_engine_pct": round(100 * engine_cpu / result.wall_seconds, 1),
    }


ENGINE_LABELS = {"neural": "neural (ONNX model, carried caches)",
                 "phonetic": "phonetic (sliding-window allphone + animator)"}


LOOK_OUT, LOOK_IN = ARKIT_INDEX["eyeLookOutLeft"], ARKIT_INDEX["eyeLookInLeft"]


class _Timed:
    """A live face whose hearing and applying are timed (the layers' own cost)."""

    def __init__(self, face) -> None:
        self.face, self.seconds = face, 0.0

    def say(self, text: str) -> None:
        self.face.say(text)

    def hear(self, samples: np.ndarray) -> None:
        start = time.perf_counter()
        self.face.hear(samples)
        self.seconds += time.perf_counter() - start

    def apply(self, frame):
        start = time.perf_counter()
        out = self.face.apply(frame)
        self.seconds += time.perf_counter() - start
        return out


def run_living(seconds: float = 60.0) -> dict:
    """The living layers over `seconds` of real speech (the bundled sample again and again,
    with pauses), streamed by the neural engine in 20 ms blocks: blinks, head range and gaze
    changes per minute with every layer on, the layers' cost per frame, and the listener's
    widest jaw."""
    from voxrig.core.live_face import LiveFace, live_frames
    from voxrig.core.neural import NeuralStreamingAnimator

    audio = _soak_audio(seconds)
    face = _Timed(every_layer())
    plain = live_frames(audio, NeuralStreamingAnimator(FPS), LiveFace())
    frames = live_frames(audio, NeuralStreamingAnimator(FPS), face)
    minutes = len(frames) / FPS / 60.0
    blink = np.array([f.weights[ARKIT_INDEX["eyeBlinkLeft"]] > 0.5 for f in frames])
    head = np.stack([f.head for f in frames])
    side = np.sign(np.round([f.weights[LOOK_OUT] - f.weights[LOOK_IN] for f in frames], 2))
    listener = live_frames(audio, NeuralStreamingAnimator(FPS), every_layer(listen=True))
    return {
        "audio_seconds": round(len(audio) / RATE, 1),
        "fps": FPS,
        "blinks_per_min": round(float(np.count_nonzero(blink[1:] & ~blink[:-1])) / minutes, 1),
        "head_range_deg": [round(float(v), 2) for v in np.ptp(head, axis=0)],
        "gaze_changes_per_min": round(float(np.count_nonzero(np.diff(side))) / minutes, 1),
        "layers_ms_per_frame": round(1000 * face.seconds / len(frames), 3),
        "speaker_jaw_max": round(float(max(f.weights[JAW] for f in plain)), 3),
        "listening_jaw_max": round(float(max(f.weights[JAW] for f in listener)), 3),
    }


def run_stream_quality(engine_name: str = "neural") -> dict:
    """The streamed frames (audio pushed in 20 ms blocks, as live) judged with the same
    lip-sync metrics as offline bakes, and their lip-gap correlation with the offline bake of
    the same audio (no transcript: a live stream has none)."""
    from voxrig.core.bake import bake
    from voxrig.core.config import Config
    from voxrig.core.engines import create_streaming
    from voxrig.core.rig import mouth_signals
    from voxrig.core.streaming import stream_frames

    from . import datasets, metrics

    counts, per_clip, r_offline = [], [], []

    def streamed(path: Path) -> np.ndarray:
        audio = load_audio(path)
        frames = stream_frames(audio.samples, create_streaming(engine_name, FPS))
        weights = np.stack([f.weights for f in frames])
        offline = bake(audio, None, Config(fps=FPS, engine=engine_name)).weights
        n = min(len(weights), len(offline))
        r_offline.append(float(np.corrcoef(mouth_signals(weights[:n])[0],
                                           mouth_signals(offline[:n])[0])[0, 1]))
        return weights

    for clip in datasets.english_phone_clips():
        counts.append(metrics.event_counts(streamed(clip.audio), FPS, clip.phones))
    for clip in datasets.facegood_clips():
        per_clip.append(metrics.facegood_metrics(streamed(clip.audio), FPS, clip.weights,
                                                 clip.fps))
    score = metrics.event_score(counts).as_dict()
    face = metrics.mean_metrics(per_clip).as_dict()
    return {
        "english": {k: round(v, 4) for k, v in score.items()},
        "facegood": {k: round(v, 4) for k, v in face.items()},
        "r_gap_vs_offline": [round(r, 3) for r in r_offline],
        "r_gap_vs_offline_mean": round(float(np.mean(r_offline)), 3),
    }


def _drain(sock: socket.socket, stop: threading.Event) -> None:
    sock.settimeout(0.1)
    while not stop.is_set():
        try:
            sock.recv(65536)
        except TimeoutError:
            continue


def _soak_audio(seconds: float) -> np.ndarray:
    speech = load_audio(SAMPLE_AUDIO).samples
    rng = np.random.default_rng(1)
    parts, total = [], 0
    while total < seconds * RATE:
        gap = np.zeros(int(rng.uniform(0.3, 1.5) * RATE), dtype=np.float32)
        parts += [speech, gap]
        total += speech.size + gap.size
    return np.concatenate(parts)[: int(seconds * RATE)]


def run_soak(seconds: float = 600.0) -> dict:
    """`voxrig stream --protocol generic` for `seconds` of audio into a receiver here (every
    layer on: stream's defaults)."""
    from voxrig.bridge.live.protocols import Encoder

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "soak.wav"
        sf.write(path, _soak_audio(seconds), RATE)
        receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        receiver.bind(("127.0.0.1", 0))
        receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 23)
        frames: list[tuple[int, float]] = []
        counts = {"datagrams": 0}
        stop = threading.Event()
        thread = threading.Thread(target=_receive_generic,
                                  args=(receiver, frames, counts, stop), daemon=True)
        thread.start()
        voxrig = Path(sys.executable).with_name("voxrig")
        done = subprocess.run(
            [str(voxrig), "stream", "--input", str(path), "--protocol", "generic",
             "--port", str(receiver.getsockname()[1])],
            capture_output=True, text=True,
        )
        time.sleep(0.5)
        stop.set()
        thread.join()
        receiver.close()
    match = re.search(r"sent (\d+) frames, dropped (\d+) late, (\d+) refused", done.stderr)
    if done.returncode != 0 or not match:
        raise RuntimeError(f"voxrig stream failed: {done.stderr.strip()[-300:]}")
    sent, dropped, refused = (int(g) for g in match.groups())
    per_frame = Encoder("generic").messages_per_frame  # frame, 52 blends, head, eyes
    index = np.array([i for i, _ in frames])
    arrival = np.array([t for _, t in frames])
    offset = arrival - index / FPS
    edge = int(10 * FPS)
    drift = (np.median(offset[-edge:]) - np.median(offset[:edge])) * FPS
    return {
        "audio_seconds": round(seconds, 1),
        "fps": FPS,
        "frames_expected": int(np.floor(seconds * FPS)) + 1,
        "frames_sent": sent,
        "frames_dropped_late": dropped,
        "refused": refused,
        "messages_sent": sent * per_frame,
        "messages_received": counts["datagrams"],
        "lost_messages": sent * per_frame - counts["datagrams"],
        "drift_frames": round(float(drift), 3),
        "offset_spread_ms": round(float(np.percentile(offset, 99.9) - np.percentile(offset, 0.1))
                                  * 1000, 1),
        "summary": done.stderr.strip().splitlines()[-1],
    }


def _receive_generic(sock: socket.socket, frames: list, counts: dict,
                     stop: threading.Event) -> None:
    from pythonosc.osc_message import OscMessage

    sock.settimeout(0.1)
    while not stop.is_set():
        try:
            data = sock.recv(65536)
        except TimeoutError:
            continue
        counts["datagrams"] += 1
        if data.startswith(b"/voxrig/frame\x00"):
            frames.append((OscMessage(data).params[0], time.monotonic()))


def format_live(latency: dict | None, soak: dict | None) -> str:
    lines = []
    if latency:
        lines.append(
            f"live latency ({latency['engine']}, {latency['layers']}, {latency['fps']:g} fps, "
            f"{latency['onsets']} onsets): p50 {latency['p50_ms']} ms, p95 "
            f"{latency['p95_ms']} ms, max {latency['max_ms']} ms; CPU sender "
            f"{latency['cpu_sender_pct']}% + engine {latency['cpu_engine_pct']}% of a core; "
            f"{latency['dropped']} frames dropped")
    if soak:
        lines.append(
            f"live soak ({soak['audio_seconds']:g} s at {soak['fps']:g} fps, generic OSC on "
            f"loopback): {soak['frames_sent']} frames sent, {soak['frames_dropped_late']} "
            f"dropped late, {soak['lost_messages']} of {soak['messages_sent']} messages lost, "
            f"drift {soak['drift_frames']} frames")
    return "\n".join(lines)


def format_living(living: dict) -> str:
    pitch, yaw, roll = living["head_range_deg"]
    return (f"living layers ({living['audio_seconds']:g} s of speech, {living['fps']:g} fps): "
            f"{living['blinks_per_min']} blinks/min, head range pitch {pitch} / yaw {yaw} / "
            f"roll {roll} deg, {living['gaze_changes_per_min']} gaze changes/min, "
            f"{living['layers_ms_per_frame']} ms per frame for the layers; listening jawOpen "
            f"max {living['listening_jaw_max']} (the speaker's {living['speaker_jaw_max']})")


LIVE_RESULTS = Path(__file__).parent / "live_results"


def run_live(part: str, soak_seconds: float = 600.0) -> int:
    """One live measurement, printed and written to bench/live_results/<date>-<sha>.json
    (merged with that day's other live part)."""
    import datetime as dt
    import json

    from .results import git_sha, results_path, write_results

    print(f"[bench] live {part} ...", file=sys.stderr, flush=True)
    if part == "latency":
        result = {}
        layered = run_latency(engine_name="neural", layers=True)
        print(format_live(layered, None))
        result["neural_every_layer"] = layered
        print("[bench] living layers over 60 s of speech ...", file=sys.stderr, flush=True)
        living = run_living()
        print(format_living(living))
        result["living"] = living
        for name in ENGINE_LABELS:  # the live default (neural) and the phonetic option
            one = run_latency(engine_name=name)
            print(format_live(one, None))
            print(f"[bench] live stream quality ({name}) ...", file=sys.stderr, flush=True)
            quality = run_stream_quality(name)
            one["quality"] = quality
            print(f"live stream quality ({name}, no transcript): English event "
                  f"{quality['english']['event']:.3f}, FACEGOOD r_gap "
                  f"{quality['facegood']['r_gap']:.3f}; lip gap vs the offline bake r = "
                  f"{quality['r_gap_vs_offline_mean']:.3f} (mean of "
                  f"{len(quality['r_gap_vs_offline'])} clips)")
            result[name] = one
    else:
        result = run_soak(soak_seconds)
        print(format_live(None, result))
    path = results_path(LIVE_RESULTS, git_sha())
    payload = json.loads(path.read_text()) if path.exists() else {}
    payload[part] = dict(result, date=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    write_results(path, payload)
    return 0
