"""The PyPI peers run side by side with voxrig on the same clips, their output turned into
ARKit-52 weights the way a user would drive an ARKit rig with them.

- **pylipsync** (uLipSync port: MFCC matching against five vowel templates + silence).
  Per frame it gives targets for aa / ee / ih / oh / ou (already normalised and scaled by
  loudness). A uLipSync user assigns each phoneme a mouth shape; on an ARKit rig we use the
  viseme -> ARKit poses that openfacefx publishes for the same vowels (its `arkit` retarget
  preset: aa -> "aa", ee -> "E", ih -> "I", oh -> "O", ou -> "U"), weighted by the targets and
  summed. No smoothing is added: pylipsync has none, and adding uLipSync-Unity's default
  SmoothDamp (0.05 s) lowered its scores here (FACEGOOD r_gap 0.72 -> 0.69, lag +40 ms), so
  the raw output is the fairer peer (its jitter is reported as is). Analysis at 60 fps, its
  default; each value is placed at the time pylipsync reports for its segment.
- **openfacefx** through its own CLI, as its docs show: with a transcript
  `openfacefx naive --text T --wav W --retarget arkit` (phones spread over the duration by its
  built-in aligner, no acoustic model); without one `openfacefx energy --wav W --retarget
  arkit` (loudness -> jaw). Its piecewise-linear keys are sampled at 30 fps.

Both are installed only by the `bench` extra; when one is missing `PeerUnavailable` says why.
"""

from __future__ import annotations

import importlib
import json
import math
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from voxrig.core.audio import load_audio
from voxrig.core.names import ARKIT52, ARKIT_INDEX

PYLIPSYNC_FPS = 60
OPENFACEFX_FPS = 30.0
ULIPSYNC_TO_OVR = {"aa": "aa", "ee": "E", "ih": "I", "oh": "O", "ou": "U"}


class PeerUnavailable(RuntimeError):
    """The peer cannot run here (not installed, or it failed); the message says why."""


@dataclass(frozen=True)
class PeerOutput:
    weights: np.ndarray  # (T, 52) ARKIT52 order, in [0, 1]
    fps: float


# ---------------------------------------------------------------------------------------------
# pylipsync


def _openfacefx_arkit_poses() -> Mapping[str, tuple[tuple[str, float], ...]]:
    try:
        retarget = importlib.import_module("openfacefx.retarget")
    except ImportError as e:
        raise PeerUnavailable(f"openfacefx (its ARKit viseme poses) not installed: {e}") from e
    return retarget._ARKIT  # the `arkit` preset's table; no public accessor in 0.24


def ulipsync_poses() -> dict[str, np.ndarray]:
    """uLipSync phoneme -> ARKit-52 pose (tongueOut dropped: the rig ignores it)."""
    table = _openfacefx_arkit_poses()
    poses = {}
    for phoneme, viseme in ULIPSYNC_TO_OVR.items():
        pose = np.zeros(len(ARKIT52), dtype=np.float64)
        for shape, weight in table[viseme]:
            if shape in ARKIT_INDEX:
                pose[ARKIT_INDEX[shape]] += weight
        poses[phoneme] = pose
    return poses


def run_pylipsync(audio_path: Path, fps: int = PYLIPSYNC_FPS) -> PeerOutput:
    try:
        from pylipsync import PhonemeAnalyzer
    except ImportError as e:
        raise PeerUnavailable(f"pylipsync not installed (pip install -e '.[bench]'): {e}") from e
    audio = load_audio(audio_path)
    analyzer = PhonemeAnalyzer()
    segments = analyzer.extract_phoneme_segments(
        audio.samples.astype(np.float32), audio.sample_rate, fps=fps, return_seconds=True
    )
    poses = ulipsync_poses()
    raw = np.zeros((len(segments), len(ARKIT52)))
    for i, segment in enumerate(segments):
        for phoneme in segment.phonemes:
            if phoneme.name in poses:
                raw[i] += phoneme.target * poses[phoneme.name]
    # Its hop is 16000 // fps samples (266 at 60 fps, i.e. 60.15 fps), so frame i is not at
    # i / fps: place each value at the middle of the segment it reports (its analysis window
    # is centred there) and sample that on the fps grid.
    centres = np.array([(seg.start + seg.end) / 2.0 for seg in segments])
    grid = np.arange(int(math.floor(audio.duration * fps + 1e-9)) + 1) / fps
    on_grid = np.stack([np.interp(grid, centres, raw[:, c]) for c in range(raw.shape[1])], 1)
    return PeerOutput(np.clip(on_grid, 0.0, 1.0).astype(np.float32), float(fps))


# ---------------------------------------------------------------------------------------------
# openfacefx


def _openfacefx_cli() -> list[str]:
    exe = Path(sys.executable).with_name("openfacefx")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("openfacefx")
    if found:
        return [found]
    raise PeerUnavailable("openfacefx not installed (pip install -e '.[bench]')")


def track_to_weights(track: dict, fps: float) -> np.ndarray:
    """An `openfacefx.track` JSON dict (piecewise-linear keys per channel) -> (T, 52)."""
    duration = float(track["duration"])
    n = int(math.floor(duration * fps + 1e-9)) + 1
    t = np.arange(n) / fps
    out = np.zeros((n, len(ARKIT52)), dtype=np.float64)
    for channel in track["channels"]:
        name = channel["name"]
        if name not in ARKIT_INDEX or not channel["keys"]:
            continue
        keys = np.asarray(channel["keys"], dtype=np.float64)[:, :2]
        out[:, ARKIT_INDEX[name]] = np.interp(t, keys[:, 0], keys[:, 1])
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def run_openfacefx(
    audio_path: Path, transcript: str | None = None, fps: float = OPENFACEFX_FPS
) -> PeerOutput:
    """`naive` mode with a transcript, `energy` mode without, retargeted to ARKit."""
    cli = _openfacefx_cli()
    audio = load_audio(audio_path)
    with tempfile.TemporaryDirectory(prefix="voxrig-bench-") as tmp:
        wav = Path(tmp) / "in.wav"  # energy mode reads 16-bit PCM WAV only
        sf.write(wav, audio.samples, audio.sample_rate, subtype="PCM_16")
        out = Path(tmp) / "track.json"
        mode = ["naive", "--text", transcript] if transcript else ["energy"]
        cmd = [*cli, *mode, "--wav", str(wav), "--retarget", "arkit", "--fps", str(fps),
               "-o", str(out)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0 or not out.exists():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise PeerUnavailable(f"openfacefx {mode[0]} failed: {tail[0]}")
        track = json.loads(out.read_text())
    return PeerOutput(track_to_weights(track, fps), fps)


PEERS = {
    "pylipsync": lambda audio, transcript: run_pylipsync(audio),
    "openfacefx": lambda audio, transcript: run_openfacefx(audio, transcript),
}


def run_peer(name: str, audio: Path, transcript: str | None) -> PeerOutput:
    """Run one peer by name; `transcript` is used only by peers that take text."""
    return PEERS[name](audio, transcript)
