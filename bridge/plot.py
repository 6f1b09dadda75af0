"""`voxrig plot`: a picture of a clip for people who would rather look than read — the main
mouth channels and the lip gap over time, above the phone and word timeline the clip was
made from. matplotlib is an optional extra (`pip install 'voxrig[plot]'`), imported only
here and only when a plot is drawn."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from voxrig.core.clip import Clip
from voxrig.core.errors import VoxrigError
from voxrig.core.mouth_shapes import mouth_cues
from voxrig.core.names import ARKIT52
from voxrig.core.rig import mouth_signals

from .atomic import write_atomic

MAIN_CHANNELS = 6  # how many of the busiest mouth channels to draw by default
IMAGE_FORMATS = ("png", "svg", "pdf")


def main_channels(clip: Clip, count: int = MAIN_CHANNELS) -> list[str]:
    """jawOpen and the mouth channels that move most in this clip (by range), in ARKit
    order, so the picture shows what the animation actually does."""
    mouth = [n for n in clip.channels if n.startswith(("jaw", "mouth"))]
    span = {n: float(np.ptp(clip.channel(n))) for n in mouth}
    busiest = sorted((n for n in mouth if span[n] > 0.02), key=lambda n: -span[n])[:count]
    if "jawOpen" in clip.channels and "jawOpen" not in busiest:
        busiest = ["jawOpen", *busiest[: count - 1]]
    return [n for n in clip.channels if n in busiest]


def save_plot(clip: Clip, path: str | Path, channels: list[str] | None = None) -> None:
    """Draw the clip and write the image atomically (format by extension)."""
    path = Path(path)
    kind = path.suffix.lower().lstrip(".")
    if kind not in IMAGE_FORMATS:
        raise VoxrigError(f"cannot write {str(path)!r}: plots are .png, .svg or .pdf")
    if channels is not None:
        unknown = [c for c in channels if c not in clip.channels]
        if unknown:
            raise VoxrigError(f"the clip has no channel {unknown[0]!r}")
    figure = draw(clip, channels if channels is not None else main_channels(clip))
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format=kind, dpi=100)
    _pyplot().close(figure)
    write_atomic(path, buffer.getvalue())


def draw(clip: Clip, channels: list[str]):
    """The matplotlib Figure: curves, lip gap (mm, as the lip-sync metrics measure it) with
    the 2D mouth shapes above it and, when clip.meta has them, the phones and words."""
    plt = _pyplot()
    phones = clip.meta.get("phones") or []
    words = clip.meta.get("words") or []
    rows = 3 if (phones or words) else 2
    heights = [3, 1.4, 1.1][:rows]
    width = min(24.0, max(8.0, clip.duration * 1.6))
    figure, axes = plt.subplots(rows, 1, figsize=(width, 1.6 * sum(heights)), sharex=True,
                                gridspec_kw={"height_ratios": heights})
    t = clip.times
    curves = axes[0]
    for name in channels:
        curves.plot(t, clip.channel(name), label=name, linewidth=1.2)
    curves.set_ylim(-0.02, 1.02)
    curves.set_ylabel("weight")
    source = clip.meta.get("source", "")
    curves.set_title(f"{Path(str(source)).name or 'clip'}: {clip.fps:g} fps, "
                     f"{clip.duration:.2f} s", loc="left", fontsize=10)
    if channels:
        curves.legend(loc="upper right", fontsize=8, ncol=min(len(channels), 4))
    curves.grid(alpha=0.3)

    gap_axis = axes[1]
    gap, _ = mouth_signals(_arkit(clip))
    gap_axis.plot(t, gap, color="black", linewidth=1.0)
    gap_axis.axhline(2.0, color="tab:blue", linewidth=0.6, linestyle="--")
    gap_axis.axhline(6.0, color="tab:red", linewidth=0.6, linestyle="--")
    gap_axis.set_ylabel("lip gap mm")
    top = max(float(gap.max()), 8.0) * 1.15
    for cue in mouth_cues(clip):  # the 2D mouth shapes (A-H, X) along the gap they follow
        gap_axis.text((cue.start + cue.end) / 2, top, cue.shape, ha="center", va="top",
                      fontsize=7, color="tab:purple")
    gap_axis.set_ylim(-0.5, top + 0.5)
    gap_axis.grid(alpha=0.3)

    if rows == 3:
        timeline = axes[2]
        for k, (label, start, end) in enumerate(phones):
            if label == "sil":
                continue
            timeline.axvspan(start, end, 0.0, 0.5, color=("0.85", "0.7")[k % 2])
            timeline.text((start + end) / 2, 0.25, label, ha="center", va="center",
                          fontsize=7)
        for k, (text, start, end) in enumerate(words):
            timeline.axvspan(start, end, 0.55, 1.0, color=("#cfe2f3", "#9fc5e8")[k % 2])
            timeline.text((start + end) / 2, 0.78, text, ha="center", va="center",
                          fontsize=8)
        timeline.set_yticks([0.25, 0.78], ["phones", "words"])
        timeline.set_ylim(0, 1)
    axes[-1].set_xlabel("time (s)")
    axes[-1].set_xlim(0, max(float(clip.duration), 1e-3))
    figure.tight_layout()
    return figure


def _arkit(clip: Clip) -> np.ndarray:
    out = np.zeros((clip.frame_count, len(ARKIT52)), np.float32)
    for j, name in enumerate(clip.channels):
        if name in ARKIT52:
            out[:, ARKIT52.index(name)] = clip.weights[:, j]
    return out


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise VoxrigError("plotting needs matplotlib: pip install 'voxrig[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
