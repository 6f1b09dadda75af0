"""Coarticulation: dominance blending of targets (after Cohen & Massaro 1993).

Every target exerts a dominance on each articulator group that is full over its plateau and
decays exponentially away from it, with separate time constants for anticipation (before
the target) and carry-over (after it). The curve of a channel at time t is the
dominance-weighted mean of the targets' values. Groups blend independently: the jaw is slow
and vowel-led, the lips quick, rounding anticipated far ahead (so "s" in "soon" is already
rounded).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .poses import CHANNEL_GROUP, GROUPS
from .timing import Targets


@dataclass(frozen=True)
class TimeConstants:
    """Per group (GROUPS order): exponential decay of dominance, seconds."""

    anticipation: tuple[float, ...] = (0.07, 0.05, 0.14, 0.07, 0.035)
    carryover: tuple[float, ...] = (0.07, 0.04, 0.09, 0.06, 0.035)


NEIGHBOURS = 5  # targets considered on each side of a time (beyond them dominance is ~0)


def blend(
    targets: Targets,
    poses: np.ndarray,
    times: np.ndarray,
    constants: TimeConstants = TimeConstants(),
    channel_group: np.ndarray = CHANNEL_GROUP,
) -> np.ndarray:
    """(len(times), channels) curves blended from the targets' poses (rows of `poses`
    indexed by target label). `channel_group` gives each column's articulator group (its
    dominance column and time constants); columns with group -1 stay zero."""
    k = len(targets)
    out = np.zeros((times.shape[0], poses.shape[1]), dtype=np.float64)
    if k == 0 or times.size == 0:
        return out
    # The nearby targets of every time: a (T, 2N) window of target indices.
    here = np.searchsorted(targets.centre, times)
    idx = here[:, None] + np.arange(-NEIGHBOURS, NEIGHBOURS)[None, :]
    valid = (idx >= 0) & (idx < k)
    idx = np.clip(idx, 0, k - 1)
    lo, hi = targets.lo[idx], targets.hi[idx]
    t = times[:, None]
    before = lo - t  # > 0 while the target is still ahead (anticipation)
    after = t - hi  # > 0 once the target is past (carry-over)
    target_pose = poses[targets.label[idx]]  # (T, 2N, C)
    for g in range(len(GROUPS)):
        channels = np.flatnonzero(channel_group == g)
        if channels.size == 0:
            continue
        decay = np.maximum(before, 0.0) / constants.anticipation[g] + np.maximum(
            after, 0.0
        ) / constants.carryover[g]
        dom = np.where(valid, targets.dominance[idx, g] * np.exp(-decay), 0.0)
        total = dom.sum(axis=1, keepdims=True)
        weight = dom / np.maximum(total, 1e-12)
        out[:, channels] = np.einsum("tn,tnc->tc", weight, target_pose[:, :, channels])
    return out


def dominance_of(targets: Targets, times: np.ndarray, group: int,
                 constants: TimeConstants = TimeConstants()) -> np.ndarray:
    """(T, K) raw dominance of every target over time for one group (for tests and plots)."""
    t = times[:, None]
    decay = np.maximum(targets.lo[None] - t, 0.0) / constants.anticipation[group] + np.maximum(
        t - targets.hi[None], 0.0
    ) / constants.carryover[group]
    return targets.dominance[None, :, group] * np.exp(-decay)
