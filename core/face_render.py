"""The face renderer's per-frame computation (issue 17, seed S0): a clip's 68 ICT keypoints
-> the person's lips on the canvas -> a template image of them -> with the frame's masked
mouth crop and a reference crop, the generator's input -> the generated crop pasted back into
the video frame with a feathered edge.

Why a template of only these 9 points: they are the ones voxrig's ICT keypoints and FaceMesh
both have (face_canvas.ICT_TO_MESH), so the same drawing comes from a person's tracked lips
and from a voxrig clip mapped onto the person. The generator is trained on the clip's drawing
(training/face/generator.py), so what it sees at render time is what it learned from."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

import numpy as np

from .clip import Clip, frame_count_for
from .face_canvas import (
    FEATHER,
    ICT_TO_MESH,
    MOUTH_BOX,
    MOUTH_SIZE,
    Similarity,
    crop,
    ict_points,
    on_canvas,
    paste,
)
from .face_memory import MouthMemory
from .face_phones import TimedPhone, frame_phones
from .names import ARKIT_INDEX

ICT_OUTER_LIP = (48, 51, 54, 57)  # corners and midlines, drawn as a closed loop
ICT_INNER_LIP = (60, 62, 64, 66)
ICT_CHIN = 8
ICT_MOUTH = ICT_OUTER_LIP + ICT_INNER_LIP + (ICT_CHIN,)
MESH_MOUTH = tuple(ICT_TO_MESH[i] for i in ICT_MOUTH)  # the same points on FaceMesh
LINE_SIGMA = 1.5  # crop pixels: the drawn lines' Gaussian width
TEMPLATE_CHANNELS = 3  # outer loop, inner loop, chin
MASK_ROW = 0  # crop rows from here down are hidden: the whole crop (see Generator)
IN_CHANNELS = 3 + 3 + TEMPLATE_CHANNELS  # masked frame, reference, lip template
MEMORY_CHANNELS = 3  # a face with a mouth memory (core/face_memory.py) also sees its mouth
BATCH = 8  # crops per generator call

# (N, IN_CHANNELS, 96, 96) float32 [, (N, D) float32 conditions] -> (N, 3, 96, 96) float32 in
# [0, 1]; the conditions only for a face trained with S3's phones
Network = Callable[..., np.ndarray]


@dataclass(frozen=True)
class Generator:
    """A face's mouth network and the crop rows it was trained to see masked: the rows are part
    of the model (its .voxface header says them), as a network trained to read the top rows
    would draw nonsense without them. Faces before 2026-12-06 kept the top 20 rows (the nose);
    they move with the mouth, and a well-trained network learnt to follow the video's own
    speech from them (docs/RENDER_CARD.md), so new faces mask the whole crop.

    Per frame, a face with S1's memory is given its prototype weights, and one trained with
    S3's phones also the frame's phones (core/face_phones.py): both are a frame's row of
    `conditions`."""

    network: Network
    mask_row: int = MASK_ROW
    memory: MouthMemory | None = None  # S1's memory, for faces trained with one
    phones: bool = False  # S3: the network also takes the conditions (memory weights, phones)
    columns: tuple[float, float] | None = None  # crop columns pasted whole (paste's columns)

    def __call__(self, frames: np.ndarray, reference: np.ndarray, templates: np.ndarray,
                 conditions: np.ndarray | None = None) -> np.ndarray:
        """Drawn crops (N, 3, 96, 96) in [0, 1] for model_inputs' arguments and, for a face
        with a memory, the frames' rows of `conditions` (N, D)."""
        if (conditions is None) != (self.memory is None):
            raise ValueError("conditions are given exactly when the face has a memory")
        if self.memory is None:
            return self.network(model_inputs(frames, reference, templates, self.mask_row))
        weights = conditions[:, :len(self.memory.prototypes)]
        x = model_inputs(frames, reference, templates, self.mask_row,
                         self.memory.mouths(weights))
        return self.network(x, conditions) if self.phones else self.network(x)

    def conditions(self, audio: np.ndarray | None, count: int, fps: float,
                   phones: Sequence[TimedPhone] | None = None) -> np.ndarray | None:
        """What dub's `conditions` wants for `count` frames at `fps` of 16 kHz audio (None:
        not given) and the clip's aligned phones (None: no transcript): a face with a memory's
        prototype weights (MouthMemory.weights), and for one trained with phones the frames'
        phones after them (frame_phones); None for a face without a memory."""
        if self.memory is None:
            return None
        weights = self.memory.weights(audio, count, fps)
        if not self.phones:
            return weights
        return np.concatenate([weights, frame_phones(phones, count, fps)], axis=1)


@dataclass(frozen=True)
class Placement:
    """Where a clip's keypoints land on one person: the similarity ICT (cm, frontal view) ->
    canvas pixels, and the rig's neutral 68 keypoints the clip's displacements add to."""

    a: complex
    t: complex
    neutral: np.ndarray  # (68, 3) cm


def _loop_distance(grid: np.ndarray, loop: np.ndarray) -> np.ndarray:
    """Distance of every grid point (H, W complex) to a closed polyline (K complex)."""
    best = np.full(grid.shape, np.inf)
    for p0, p1 in zip(loop, np.roll(loop, -1), strict=True):
        step = p1 - p0
        length = max(abs(step) ** 2, 1e-9)
        along = np.clip(((grid - p0) * np.conj(step)).real / length, 0, 1)
        best = np.minimum(best, np.abs(grid - (p0 + along * step)))
    return best


def mouth_template(points: np.ndarray) -> np.ndarray:
    """(TEMPLATE_CHANNELS, h, w) float32 in [0, 1] of one frame's 9 mouth points, complex
    canvas coordinates in ICT_MOUTH's order; zeros when any is not finite."""
    w, h = MOUTH_SIZE
    x0, y0, x1, y1 = MOUTH_BOX
    out = np.zeros((TEMPLATE_CHANNELS, h, w), dtype=np.float32)
    if not np.isfinite(points).all():
        return out
    # crop pixel (i, j) samples canvas (x0 + j * sx, y0 + i * sy), as face_canvas.box_grid
    local = (points.real - x0) * w / (x1 - x0) + 1j * (points.imag - y0) * h / (y1 - y0)
    grid = np.arange(w)[None, :] + 1j * np.arange(h)[:, None]
    n = len(ICT_OUTER_LIP)
    distances = (_loop_distance(grid, local[:n]), _loop_distance(grid, local[n:2 * n]),
                 np.abs(grid - local[-1]))
    for c, d in enumerate(distances):
        out[c] = np.exp(-(d ** 2) / (2 * LINE_SIGMA ** 2))
    return out


def clip_mouth_points(keypoints: np.ndarray, place: Placement) -> np.ndarray:
    """(T, 9) complex canvas points of a clip's mouth: its keypoint displacements (T, 68, 3)
    added to the rig's neutral and mapped onto the person."""
    absolute = place.neutral[None, ICT_MOUTH].astype(np.float64) + keypoints[:, ICT_MOUTH]
    return place.a * ict_points(absolute) + place.t


def tracked_mouth_points(landmarks: np.ndarray, sim: Similarity) -> np.ndarray:
    """(T, 9) complex canvas points of a clip's real mouth: the FaceMesh points that are the
    template's ICT points (MESH_MOUTH) moved onto the canvas; a frame without a face has its
    nearest tracked frame's."""
    found = np.flatnonzero(np.isfinite(landmarks).all(axis=(1, 2)))
    frames = np.arange(len(landmarks))
    after = np.minimum(np.searchsorted(found, frames), len(found) - 1)
    before = np.maximum(after - 1, 0)
    nearest = np.where(np.abs(found[before] - frames) <= np.abs(found[after] - frames),
                       found[before], found[after])
    return on_canvas(landmarks[nearest][:, list(MESH_MOUTH)], sim)


def keypoints_at(clip: Clip, fps: float) -> np.ndarray:
    """(N, 68, 3) keypoint displacements of a clip at another frame rate (the video's), linear
    between the clip's frames; a clip baked without keypoints gets the rig's reading of its
    ARKit weights (what its keypoints would have been)."""
    points = clip.keypoints
    if points is None:
        from .rig import keypoints

        full = np.zeros((clip.frame_count, len(ARKIT_INDEX)), dtype=np.float32)
        for i, name in enumerate(clip.channels):
            full[:, ARKIT_INDEX[name]] = clip.weights[:, i]
        points = keypoints(full)
    times = np.arange(frame_count_for(clip.duration, fps)) / fps
    flat = points.reshape(clip.frame_count, -1)
    out = np.stack([np.interp(times, clip.times, flat[:, j]) for j in range(flat.shape[1])], 1)
    return out.reshape(len(times), *points.shape[1:]).astype(np.float32)


def model_inputs(frames: np.ndarray, reference: np.ndarray, templates: np.ndarray,
                 mask_row: int = MASK_ROW, memory: np.ndarray | None = None) -> np.ndarray:
    """(N, IN_CHANNELS, 96, 96) float32 generator input from uint8 mouth crops (N, 96, 96, 3)
    of the frames to redraw (rows from mask_row down are masked here, so the old mouth never
    reaches the network), reference crops of the same shape and templates (N, 3, 96, 96);
    with uint8 memory mouths (N, 96, 96, 3), MEMORY_CHANNELS more."""
    masked = frames.astype(np.float32) / 255
    masked[:, mask_row:] = 0.5
    ref = reference.astype(np.float32) / 255
    parts = [masked.transpose(0, 3, 1, 2), ref.transpose(0, 3, 1, 2),
             templates.astype(np.float32)]
    if memory is not None:
        parts.append(memory.astype(np.float32).transpose(0, 3, 1, 2) / 255)
    return np.concatenate(parts, 1)


def to_crops(drawn: np.ndarray) -> np.ndarray:
    """Generator output (N, 3, h, w) in [0, 1] -> uint8 RGB crops (N, h, w, 3)."""
    return np.clip(np.rint(drawn.transpose(0, 2, 3, 1) * 255), 0, 255).astype(np.uint8)


def ping_pong(count: int, frames: int) -> np.ndarray:
    """Which video frame each of `count` output frames shows: forwards, then backwards, and so
    on, so a video shorter than the audio plays on without a jump."""
    if frames == 1:
        return np.zeros(count, dtype=np.int64)
    period = 2 * (frames - 1)
    k = np.arange(count) % period
    return np.where(k < frames, k, period - k)


def render_frames(frames: Iterable[np.ndarray], a: np.ndarray, t: np.ndarray,
                  reference: np.ndarray, mouths: np.ndarray, generate: Generator,
                  conditions: np.ndarray | None = None) -> Iterator[np.ndarray]:
    """The output frames: each video frame (H, W, 3) with its mouth redrawn to the clip's
    mouth points `mouths` (T, 9), with frame k's canvas transform a[k], t[k] and the
    person's reference mouth crop (96, 96, 3) (and, for a face with a memory, frame k's
    conditions[k]: Generator.conditions). Frames go through the generator BATCH at a time;
    the iterator yields them in order."""
    batch: list[tuple[np.ndarray, complex, complex, np.ndarray]] = []
    first = 0
    for k, frame in enumerate(frames):
        batch.append((frame, a[k], t[k], mouths[k]))
        if len(batch) == BATCH:
            yield from _redraw(batch, reference, generate, _rows(conditions, first, BATCH))
            batch, first = [], k + 1
    if batch:
        yield from _redraw(batch, reference, generate, _rows(conditions, first, len(batch)))


def _rows(conditions: np.ndarray | None, first: int, count: int) -> np.ndarray | None:
    return None if conditions is None else conditions[first:first + count]


def dub(frames: np.ndarray | Iterable[np.ndarray], a: np.ndarray, t: np.ndarray,
        reference: np.ndarray, place: Placement, keypoints: np.ndarray,
        generate: Generator, conditions: np.ndarray | None = None) -> Iterator[np.ndarray]:
    """A video with frame->canvas transforms a, t (one per video frame) saying a clip: one
    output frame per keypoint frame, each mouth redrawn (with that frame's conditions[k],
    for a face with a memory: Generator.conditions). `frames` is either the
    video held as an array (T, H, W, 3), ping-ponged to the clip's length when shorter, or
    the video's frames (H, W, 3) in order, at least len(keypoints) of them: a stream, read
    only as the output is, so no more than a generator batch of them is held at once."""
    count = len(keypoints)
    if isinstance(frames, np.ndarray):
        shown = ping_pong(count, len(frames))
        shown_frames: Iterable[np.ndarray] = (frames[k] for k in shown)
    else:
        shown = np.arange(count)
        shown_frames = islice(frames, count)
    return render_frames(shown_frames, a[shown], t[shown], reference,
                         clip_mouth_points(keypoints, place), generate, conditions)


def _redraw(batch: list[tuple[np.ndarray, complex, complex, np.ndarray]], reference: np.ndarray,
            generate: Generator, conditions: np.ndarray | None) -> list[np.ndarray]:
    crops = np.stack([crop(f, a, t, MOUTH_BOX, MOUTH_SIZE) for f, a, t, _ in batch])
    templates = np.stack([mouth_template(m) for *_, m in batch])
    refs = np.repeat(reference[None], len(batch), axis=0)
    drawn = to_crops(generate(crops, refs, templates, conditions))
    return [paste(f, c, a, t, MOUTH_BOX, FEATHER, generate.columns)
            for (f, a, t, _), c in zip(batch, drawn, strict=True)]
