"""The generator's training losses: the SSIM term reads the drawn mouth as the render bench
does, so what it lowers is what the bench scores."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is the 'train' extra (scripts/test installs it)")

from bench import render_quality as rq  # noqa: E402
from voxrig.core.face_train import ssim_loss  # noqa: E402


def crops(seed: int, n: int = 2) -> np.ndarray:
    """Smooth random (n, 96, 96, 3) uint8 crops: structure on the scale of SSIM's window."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0, 255, (n, 12, 12, 3))
    return np.kron(coarse, np.ones((1, 8, 8, 1))).astype(np.uint8)


def as_tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255


def test_the_ssim_loss_of_a_crop_with_itself_is_zero() -> None:
    a = as_tensor(crops(0))
    assert ssim_loss(a, a).item() == pytest.approx(0.0, abs=1e-6)


def test_the_ssim_loss_is_one_minus_the_benchs_ssim() -> None:
    a, b = crops(1), crops(2)
    bench = np.mean([rq.ssim(rq.luma(x), rq.luma(y)) for x, y in zip(a, b, strict=True)])
    assert ssim_loss(as_tensor(a), as_tensor(b)).item() == pytest.approx(1 - bench, abs=1e-5)


def test_the_ssim_loss_reads_only_the_drawn_columns() -> None:
    a = crops(3)
    b = a.copy()
    b[:, :, :10] = 255 - b[:, :, :10]  # the crop's left side, far from columns 40-60
    assert ssim_loss(as_tensor(a), as_tensor(b)).item() > 0.01
    assert ssim_loss(as_tensor(a), as_tensor(b), (40, 60)).item() == pytest.approx(0.0, abs=1e-6)


def test_the_ssim_loss_has_a_gradient_towards_the_real_crop() -> None:
    real = as_tensor(crops(4))
    drawn = (real * 0.5 + 0.25).requires_grad_()
    ssim_loss(drawn, real).backward()
    step = drawn - 0.1 * drawn.grad / drawn.grad.abs().max()
    assert ssim_loss(step, real).item() < ssim_loss(drawn, real).item()
