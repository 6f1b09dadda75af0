"""From clips to video frames: one rendered head per clip, landmarks on request, heads side by
side with labels, then encoded with the audio."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from voxrig.core.clip import Clip
from voxrig.core.errors import VoxrigError
from voxrig.core.names import ARKIT52

from .overlay import draw_points, side_by_side
from .render import HeadRenderer, View
from .video import encode_mp4

Progress = Callable[[float, str], None]


def arkit_weights(clip: Clip) -> np.ndarray:
    """(T, 52) weights in ARKit-52 order; channels the clip lacks stay 0."""
    out = np.zeros((clip.frame_count, len(ARKIT52)), dtype=np.float32)
    index = {name: i for i, name in enumerate(clip.channels)}
    for j, name in enumerate(ARKIT52):
        if name in index:
            out[:, j] = clip.weights[:, index[name]]
    return out


def preview_frames(clips: Sequence[Clip], size: int = 512, keypoints: bool = False,
                   labels: Sequence[str] | None = None) -> Iterator[np.ndarray]:
    """Frames (size, size * len(clips), 3) uint8 at the clips' common fps. A shorter clip
    holds its last frame."""
    if not clips:
        raise VoxrigError("nothing to render: no clip given")
    fps = clips[0].fps
    if any(not math.isclose(c.fps, fps, rel_tol=1e-6) for c in clips[1:]):
        rates = ", ".join(f"{c.fps:g}" for c in clips)
        raise VoxrigError(f"clips shown side by side need the same fps (got {rates})")
    weights = [arkit_weights(c) for c in clips]
    view = View(size=size)
    renderers = [HeadRenderer(w, view=view) for w in weights]
    landmarks = renderers[0].rig.landmarks68
    total = max(len(w) for w in weights)
    for i in range(total):
        heads = []
        for renderer, w in zip(renderers, weights, strict=True):
            frame_weights = w[min(i, len(w) - 1)]
            image = renderer.render(frame_weights)
            if keypoints:
                draw_points(image, renderer.screen_points(frame_weights, landmarks))
            heads.append(image)
        if len(heads) == 1 and not labels:
            yield heads[0]
        else:
            yield side_by_side(heads, list(labels) if labels else None)


def write_preview(clips: Sequence[Clip], output: str | Path, audio: str | Path | None = None,
                  size: int = 512, keypoints: bool = False,
                  labels: Sequence[str] | None = None, progress: Progress | None = None) -> None:
    """Render the clips and write an mp4 (with `audio` muxed in when given), atomically."""
    total = max(c.frame_count for c in clips) if clips else 0
    report = progress or (lambda fraction, stage: None)

    def counted() -> Iterator[np.ndarray]:
        for i, frame in enumerate(preview_frames(clips, size, keypoints, labels)):
            if i % 10 == 0:
                report(i / max(total, 1), "rendering")
            yield frame
        report(1.0, "encoding")

    encode_mp4(counted(), clips[0].fps if clips else 30.0, output, audio)
