"""The lip-sync expert's reading of a video of the person's mouth (issue 17): for each offset
of the sound against the picture, the mean distance of the expert's two embeddings; the
offset where they agree best, the sync distance there (lower: closer) and the confidence
(the median distance over the offsets minus the best; higher: more clearly in sync) — the
LSE-D / LSE-C of Wav2Lip-style evaluations, with voxrig's own expert
(training/face/sync_expert.py, trained on GRID s1's training clips) run by onnxruntime.

The features are defined here once, for the expert's training and for every reading."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from voxrig.core.face_memory import sound_frames  # noqa: F401 (the expert's sound, here too)

EXPERT = Path(__file__).parent / "data" / "sync-expert.onnx"
FRAMES = 5  # video frames per window: 200 ms at 25 fps
MEL_PER_FRAME = 4  # log-mel frames (100 Hz) per video frame (25 fps)
MEL_FRAMES = FRAMES * MEL_PER_FRAME
ROWS, COLUMNS = slice(16, 64), slice(16, 80)  # lips and jaw in the 96x96 mouth crop
OFFSETS = range(-7, 8)  # the offsets judged, frames of sound against picture


LUMA = (0.299, 0.587, 0.114)  # BT.601 weights of R, G, B in the grey the expert sees


def grey_mouth(crops: np.ndarray) -> np.ndarray:
    """(T, 96, 96, 3) uint8 mouth crops -> (T, 48, 64) float32 grey of the lips and jaw."""
    return crops[:, ROWS, COLUMNS].astype(np.float32) @ np.float32(LUMA) / 255


def mouth_frames(crops: np.ndarray) -> np.ndarray:
    """The expert's mouth frames: grey_mouth with each clip's mean removed (light and skin
    differ less than motion does)."""
    grey = grey_mouth(crops)
    return grey - grey.mean(axis=0, keepdims=True)


def mouth_window(mouth: np.ndarray, k: int) -> np.ndarray:
    """Video frames k .. k + FRAMES - 1, (FRAMES, 48, 64)."""
    return mouth[k : k + FRAMES]


def sound_window(sound: np.ndarray, k: int) -> np.ndarray:
    """The sound of video frames k .. k + FRAMES - 1, (1, N_MELS, MEL_FRAMES)."""
    start = k * MEL_PER_FRAME
    return sound[start : start + MEL_FRAMES].T[None]


def windows(mouth: np.ndarray, sound: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every window both have, (n, FRAMES, 48, 64) and (n, 1, N_MELS, MEL_FRAMES)."""
    n = min(len(mouth), len(sound) // MEL_PER_FRAME) - FRAMES + 1
    if n < 1:
        return np.zeros((0, FRAMES, *mouth.shape[1:]), np.float32), \
            np.zeros((0, 1, sound.shape[1], MEL_FRAMES), np.float32)
    return (np.stack([mouth_window(mouth, k) for k in range(n)]),
            np.stack([sound_window(sound, k) for k in range(n)]))


def reading(seen: np.ndarray, heard: np.ndarray) -> dict:
    """Offset, distance and confidence from (n, E) unit embeddings of picture and sound."""
    n = len(seen)
    if n <= max(OFFSETS):
        return {"offset": None, "distance": None, "confidence": None}
    distances = []
    for d in OFFSETS:
        k = np.arange(max(0, -d), min(n, n - d))
        distances.append(float((1 - (seen[k] * heard[k + d]).sum(axis=1)).mean()))
    best = int(np.argmin(distances))
    return {"offset": OFFSETS[best], "distance": round(distances[best], 4),
            "confidence": round(float(np.median(distances)) - distances[best], 4)}


def summary(readings: list[dict]) -> dict:
    """Means over clips, and the share whose best offset is within a frame of 0."""
    found = [r for r in readings if r["offset"] is not None]
    if not found:
        return {"clips": 0}
    return {"clips": len(found),
            "distance": round(float(np.mean([r["distance"] for r in found])), 4),
            "confidence": round(float(np.mean([r["confidence"] for r in found])), 4),
            "in_sync_share": round(float(np.mean([abs(r["offset"]) <= 1 for r in found])), 3)}


class SyncJudge:
    """The exported expert (inputs `mouth`, `sound`; outputs their unit embeddings)."""

    def __init__(self, path: Path = EXPERT) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options,
                                            providers=["CPUExecutionProvider"])

    def embed(self, mouth: np.ndarray, sound: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        seen, heard = [], []
        for start in range(0, len(mouth), 64):
            a, b = self.session.run(None, {"mouth": mouth[start : start + 64],
                                           "sound": sound[start : start + 64]})
            seen.append(a)
            heard.append(b)
        return np.concatenate(seen), np.concatenate(heard)

    def judge(self, crops: np.ndarray, audio: np.ndarray) -> dict:
        """Reading of (T, 96, 96, 3) mouth crops against their 16 kHz sound."""
        mouth, sound = windows(mouth_frames(crops), sound_frames(audio))
        if not len(mouth):
            return reading(np.zeros((0, 1)), np.zeros((0, 1)))
        return reading(*self.embed(mouth, sound))
