"""Command-line value types shared by the voxrig commands, with messages that say what is
wrong ("frame rate 0 is outside 1..240")."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def number_in(low: float, high: float, what: str, kind: type = float) -> Callable[[str], float]:
    """An argparse type: a finite `kind` (float or int) in [low, high]."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a valid {what}") from None
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"{what} {text} is outside {low:g}..{high:g}")
        return value

    return parse


frame_rate = number_in(1.0, 240.0, "frame rate")  # --fps of bake and batch
strength = number_in(0.0, 2.0, "strength")  # --strength of bake and batch
