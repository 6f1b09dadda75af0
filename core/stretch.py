"""Time-scale modification of speech: the same words said slower or faster, pitch kept.

The aligner slows down speech that is too fast for pocketsphinx's phone models (three states
of one 10 ms frame at least, so no phone shorter than 30 ms); the bench makes its tempo and
pitch degradations with it."""

from __future__ import annotations

import numpy as np

WSOLA_FRAME = 0.040  # s: analysis window of the time-scale modification
WSOLA_TOLERANCE = 0.012  # s: how far a frame may move to continue the waveform smoothly


def wsola(x: np.ndarray, stretch: float, rate: int) -> np.ndarray:
    """Waveform-similarity overlap-add: `x` made `stretch` times as long with its pitch kept.
    Output frames are laid at a fixed hop; each takes the input frame near the nominal
    position (output time / stretch, +-WSOLA_TOLERANCE) that best continues the previous one,
    so output time t holds what the input said at t / stretch (within the tolerance)."""
    n = max(4, int(round(WSOLA_FRAME * rate)) // 2 * 2)
    hop, tol = n // 2, int(round(WSOLA_TOLERANCE * rate))
    window = np.hanning(n + 1)[:n]  # periodic Hann: overlaps at n/2 add up to 1
    out_len = int(round(len(x) * stretch))
    lead = n + tol
    padded = np.concatenate([np.zeros(lead), x, np.zeros(int(2 * n / stretch) + 2 * tol + n)])
    frames = out_len // hop + 2
    y = np.zeros(frames * hop + n)
    prev = -1
    for k in range(frames):
        nominal = lead + int(round(k * hop / stretch)) - n // 2  # frame centred on k * hop
        if prev < 0:
            pick = nominal
        else:
            follow = padded[prev + hop : prev + hop + n]
            lo = max(nominal - tol, 0)
            region = padded[lo : nominal + tol + n]
            if len(region) < n or len(follow) < n:
                pick = nominal
            else:
                pick = lo + int(np.argmax(np.correlate(region, follow, mode="valid")))
        if pick + n > len(padded):
            break
        y[k * hop : k * hop + n] += window * padded[pick : pick + n]
        prev = pick
    return y[n // 2 : n // 2 + out_len]
