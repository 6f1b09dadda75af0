"""The mouth-shape memory of seed S1 (issue 17): a face's k-means prototypes of its own mouth
crops and a small sound network that weighs them, frame by frame, from 360 ms of the audio
centred on the frame. The weighted prototypes, the "memory mouth", go to the generator beside
the lip template: the template says where the lips are, the memory what this person's mouth
looks like making this sound (teeth, tongue, the shadow inside), which 9 points cannot say.

The sound features are defined here once, for the memory's training (training/face/memory.py)
and for rendering, and are the lip-sync expert's too (bench/sync_judge.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .mel import log_mel

MEL_RATE = 100.0  # log-mel frames a second (core/mel.py's 10 ms hop)
CONTEXT_MEL = 36  # log-mel frames a memory weighs a frame by: 9 frames of 25 fps video
CONTEXT_LEAD = 16  # of them, before the start of the frame (the window is centred on it)
BATCH = 64  # frames per call of the sound network
SMOOTH = (0.25, 0.5, 0.25)  # the weights' moving average over neighbouring frames

# (N, 1, N_MELS, CONTEXT_MEL) float32 sound contexts -> (N, prototypes) logits
SoundNetwork = Callable[[np.ndarray], np.ndarray]


def sound_frames(audio: np.ndarray) -> np.ndarray:
    """(n,) 16 kHz samples -> (frames, N_MELS) log-mel with the clip's mean removed (the
    level and the microphone's colour say nothing about the mouth)."""
    mel = log_mel(audio)
    return (mel - mel.mean(axis=0, keepdims=True)) / 4.0


def sound_context(sound: np.ndarray, k: int, fps: float) -> np.ndarray:
    """(1, N_MELS, CONTEXT_MEL) of the sound frames (T, N_MELS) around video frame k at `fps`,
    padded with the clip's quietest value where the window runs past the sound."""
    out = np.full((CONTEXT_MEL, sound.shape[1]), sound.min() if len(sound) else 0, np.float32)
    start = int(round(k * MEL_RATE / fps)) - CONTEXT_LEAD
    lo, hi = max(start, 0), min(start + CONTEXT_MEL, len(sound))
    if hi > lo:
        out[lo - start:hi - start] = sound[lo:hi]
    return out.T[None]


def softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class MouthMemory:
    """A face's memory: its sound network and prototypes (K, 96, 96, 3) uint8."""

    network: SoundNetwork
    prototypes: np.ndarray

    def weights(self, audio: np.ndarray | None, count: int, fps: float,
                eased: bool = True) -> np.ndarray:
        """(count, K) softmax weights of the prototypes for each video frame of 16 kHz audio
        at the video's frame rate (a few numbers a frame: an hour of video is 11 MB), eased
        over neighbouring frames (`smoothed`) unless `eased` is False; without audio (an
        edited clip rendered silent), every prototype alike."""
        k = len(self.prototypes)
        if audio is None:
            return np.full((count, k), 1 / k, np.float32)
        out = self.sound_weights(sound_frames(audio), np.arange(count), fps)
        return smoothed(out) if eased else out

    def sound_weights(self, sound: np.ndarray, frames: np.ndarray, fps: float) -> np.ndarray:
        """(len(frames), K) softmax weights, not eased, of the given video frames at `fps` of
        a clip's sound frames (sound_frames)."""
        out = np.empty((len(frames), len(self.prototypes)), np.float32)
        for first in range(0, len(frames), BATCH):
            batch = frames[first:first + BATCH]
            out[first:first + len(batch)] = softmax(self.network(
                np.stack([sound_context(sound, int(j), fps) for j in batch])))
        return out

    def mouths(self, weights: np.ndarray) -> np.ndarray:
        """(T, 96, 96, 3) uint8 memory mouths of weights (T, K)."""
        return blend(self.prototypes, weights)

    def mouths_of(self, weights: np.ndarray) -> BlendedMouths:
        """The same memory mouths, each blended only when it is read (see BlendedMouths)."""
        return BlendedMouths(self.prototypes, weights)


@dataclass(frozen=True)
class BlendedMouths:
    """(T, 96, 96, 3) uint8 memory mouths kept as their (T, K) weights and blended when read:
    the weights of 40 minutes of training video are 2 MB, its mouths 1.6 GB. Reads like the
    array it stands for (len, an index, a slice or an index array)."""

    prototypes: np.ndarray
    weights: np.ndarray

    def __len__(self) -> int:
        return len(self.weights)

    def __getitem__(self, index: int | slice | np.ndarray) -> np.ndarray:
        if isinstance(index, (int, np.integer)):
            return blend(self.prototypes, self.weights[index][None])[0]
        return blend(self.prototypes, self.weights[index])


def smoothed(weights: np.ndarray) -> np.ndarray:
    """(T, K) weights averaged with their neighbours' by SMOOTH (the ends repeated): the
    network judges each frame on its own, and its choice can jump between frames."""
    if len(weights) < 2:
        return weights
    padded = np.concatenate([weights[:1], weights, weights[-1:]])
    return (SMOOTH[0] * padded[:-2] + SMOOTH[1] * padded[1:-1]
            + SMOOTH[2] * padded[2:]).astype(np.float32)


def blend(prototypes: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(T, 96, 96, 3) uint8: the prototypes (K, 96, 96, 3) weighted by (T, K). Frame by
    frame, so a frame's mouth does not depend on the frames blended with it: a matrix product
    of several frames sums in another order for another batch size on some CPUs (AVX2
    OpenBLAS), which moved pixels across a rounding (float64 instead doubled render's memory)."""
    flat = prototypes.reshape(len(prototypes), -1).astype(np.float32)
    rows = weights.astype(np.float32)
    mixed = np.stack([row @ flat for row in rows]) if len(rows) else np.zeros((0, flat.shape[1]))
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8).reshape(len(weights),
                                                                    *prototypes.shape[1:])
