"""Coarticulation: dominance blending of targets (after Cohen & Massaro 1993).

Every target exerts a dominance on each articulator group that is full over its plateau and
falls off as a Gaussian away from it, with separate time constants for anticipation (before
the target) and carry-over (after it). The curve of a channel at time t is the
dominance-weighted mean of the targets' values. Groups blend independently: the jaw is slow
and vowel-led, the lips quick, rounding anticipated far ahead (so "s" in "soon" is already
rounded).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .poses import CHANNEL_GROUP
from .timing import Targets


@dataclass(frozen=True)
class TimeConstants:
    """Per group (GROUPS order): width tau of the dominance fall-off, seconds."""

    anticipation: tuple[float, ...] = (0.07, 0.05, 0.14, 0.07, 0.035)
    carryover: tuple[float, ...] = (0.07, 0.04, 0.09, 0.06, 0.035)


# Dominance falls off as exp(-(distance / tau) ** 2) outside the plateau: a Gaussian tail
# stays near full close to the target and dies away fast further off (an exponential tail
# would keep pulling a long vowel off its target from far away).
NEIGHBOURS = 4  # targets considered on each side of a time (beyond them dominance is ~0)


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
    driven = np.flatnonzero(channel_group >= 0)
    if k == 0 or times.size == 0 or driven.size == 0:
        return out
    groups = int(channel_group.max()) + 1
    # The nearby targets of every time: a (T, 2N) window of target indices.
    here = np.searchsorted(targets.centre, times)
    idx = here[:, None] + np.arange(-NEIGHBOURS, NEIGHBOURS)[None, :]
    valid = ((idx >= 0) & (idx < k))[None]
    idx = np.clip(idx, 0, k - 1)
    t = times[None, :, None]
    ahead = np.square(np.maximum(targets.lo[idx] - t, 0.0))  # target still to come
    past = np.square(np.maximum(t - targets.hi[idx], 0.0))  # target gone by
    ant = 1.0 / np.square(np.asarray(constants.anticipation[:groups]))[:, None, None]
    carry = 1.0 / np.square(np.asarray(constants.carryover[:groups]))[:, None, None]
    # Gaussian tails, in the log domain relative to the strongest target, so that far from
    # every plateau (a very long phone) the weights still normalise instead of underflowing.
    with np.errstate(divide="ignore"):
        log_strength = np.log(targets.dominance[:, :groups]).T  # (G, K)
    log_dom = log_strength[:, idx] - (ahead * ant + past * carry)  # (G, T, 2N)
    log_dom[:, ~valid[0]] = -np.inf
    dom = np.exp(log_dom - log_dom.max(axis=2, keepdims=True))
    weight = dom / np.maximum(dom.sum(axis=2, keepdims=True), 1e-12)
    # Each time's curve value is the weighted mean of its 2N nearby targets' poses.
    target_pose = poses[targets.label]  # (K, C)
    for g in range(groups):
        channels = np.flatnonzero(channel_group == g)
        if channels.size == 0:
            continue
        nearby = target_pose[:, channels][idx]  # (T, 2N, channels of this group)
        out[:, channels] = np.einsum("tn,tnc->tc", weight[g], nearby)
    return out
