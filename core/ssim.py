"""SSIM as voxrig reads a face renderer's picture (Wang et al. 2004): on BT.601 luma, with an
11x11 Gaussian window of sigma 1.5, averaged over every window that fits whole. One definition
for the render bench's score (bench/render_quality.py) and the generator's SSIM loss
(core/face_train.py), so what the loss lowers is what the bench scores."""

from __future__ import annotations

import numpy as np

LUMA = (0.299, 0.587, 0.114)  # BT.601: what a video's Y plane holds
SIGMA, RADIUS = 1.5, 5  # the Gaussian window: 2 * RADIUS + 1 = 11 pixels a side
K1, K2 = 0.01, 0.03  # the stabilising constants, as fractions of the peak value
PEAK = 255.0  # of uint8 pixels


def window() -> np.ndarray:
    """The separable window: (2 * RADIUS + 1,) Gaussian weights that sum to 1."""
    x = np.arange(-RADIUS, RADIUS + 1)
    g = np.exp(-x ** 2 / (2 * SIGMA ** 2))
    return g / g.sum()


def luma(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma of uint8 RGB, float64 0..255."""
    return rgb[..., :3].astype(np.float64) @ np.array(LUMA)


def _blurred(image: np.ndarray) -> np.ndarray:
    """'valid' separable Gaussian filter of a 2-D image (the window must fit inside)."""
    g = window()
    rows = np.lib.stride_tricks.sliding_window_view(image, g.size, axis=0) @ g
    return np.lib.stride_tricks.sliding_window_view(rows, g.size, axis=1) @ g


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM of two 2-D luma images (0..PEAK) over every full window."""
    c1, c2 = (K1 * PEAK) ** 2, (K2 * PEAK) ** 2
    a, b = a.astype(np.float64), b.astype(np.float64)
    mu_a, mu_b = _blurred(a), _blurred(b)
    var_a = _blurred(a * a) - mu_a ** 2
    var_b = _blurred(b * b) - mu_b ** 2
    cov = _blurred(a * b) - mu_a * mu_b
    num = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
    den = (mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2)
    return float(np.mean(num / den))
