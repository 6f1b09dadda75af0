"""The lip-sync metrics of DESIGN.md "Quality metrics", computed the one way every change is
measured: pose on the ICT rig, clip to [0, 1], resample linearly to 100 Hz, then judge the lip
gap (gv) and mouth width (w) against reference phones (event score) or against real artist
animation (FACEGOOD: r_gap, r_width, LVE, lag, jitter)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from voxrig.core.clip import Clip, frame_count_for
from voxrig.core.curve_resample import curves_at
from voxrig.core.names import ARKIT52, BILABIALS, SILENCE, VOWELS
from voxrig.core.phones import Phone
from voxrig.core.rig import load_rig, mouth_signals

RATE = 100.0  # Hz, the rate every curve is judged at
WIDEN = 0.020  # s added on each side of a positive phone
PAUSE_MIN = 0.300  # s: pauses at least this long are rest positives
PAUSE_TRIM = 0.100  # s trimmed from each side of such a pause

CLOSED_GAP = 2.0  # mm: B closure
OPEN_GAP = 6.0  # mm: O open
REST_GAP = 3.0  # mm: S rest, and "a vowel whose max gv <= 3 mm"
SHUT_GAP = 1.0  # mm: a vowel frame left at rest
ROUND_NARROWING = 3.0  # mm narrower than neutral width: R rounding

OPEN_VOWELS = frozenset(["AA", "AE", "AH", "AO", "AW", "AY"])
ROUNDED = frozenset(["UW", "OW", "W"])
SPREAD_VOWELS = frozenset(["IY", "IH", "EH", "EY", "AE"])
LABIAL_NEGATIVES = BILABIALS | {"F", "V"}
MAX_LAG = 0.200  # s searched either side for the best lag
LIP_LANDMARKS = slice(48, 68)  # Multi-PIE 68: the mouth (outer + inner lip)


@cache
def neutral_signals() -> tuple[float, float]:
    """Lip gap and mouth width (mm) of the rig at rest (DESIGN.md: 0.76, 50.70)."""
    gap, width = mouth_signals(np.zeros((1, len(ARKIT52)), dtype=np.float32))
    return float(gap[0]), float(width[0])


def arkit_weights(clip: Clip) -> np.ndarray:
    """A clip's weights as (T, 52) in ARKIT52 order; channels it lacks are 0."""
    out = np.zeros((clip.frame_count, len(ARKIT52)), dtype=np.float32)
    for j, name in enumerate(clip.channels):
        if name in ARKIT52:
            out[:, ARKIT52.index(name)] = clip.weights[:, j]
    return out


def frames_for(duration: float, rate: float = RATE) -> int:
    """Samples at i / rate covering [0, duration]."""
    return frame_count_for(duration, rate)


def resample(weights: np.ndarray, fps: float, n: int, rate: float = RATE) -> np.ndarray:
    """(T, C) weights at `fps` -> (n, C) at `rate` by linear interpolation, after clipping to
    [0, 1]; times past the last frame hold its value."""
    w = np.clip(np.asarray(weights, dtype=np.float64), 0.0, 1.0)
    if w.ndim != 2 or w.shape[0] < 1:
        raise ValueError(f"weights must be (frames, channels), got {w.shape}")
    return curves_at(w, fps, np.arange(n) / rate)


@dataclass(frozen=True)
class MouthCurves:
    """Lip gap and mouth width in mm, sampled at RATE Hz (sample i at i / RATE)."""

    gap: np.ndarray
    width: np.ndarray


def mouth_curves(weights: np.ndarray, fps: float, duration: float | None = None) -> MouthCurves:
    """Pose ARKit-52 weights on the ICT rig at 100 Hz and measure gv and w."""
    if duration is None:
        duration = (np.asarray(weights).shape[0] - 1) / float(fps)
    dense = resample(weights, fps, frames_for(duration))
    gap, width = mouth_signals(dense.astype(np.float32))
    return MouthCurves(gap.astype(np.float64), width.astype(np.float64))


# ---------------------------------------------------------------------------------------------
# Event score (English with phone alignments)


@dataclass
class Counts:
    """Positives hit and negatives that fired falsely, for one category."""

    hits: int = 0
    positives: int = 0
    false_positives: int = 0
    negatives: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.hits + other.hits,
            self.positives + other.positives,
            self.false_positives + other.false_positives,
            self.negatives + other.negatives,
        )

    @property
    def hit_rate(self) -> float:
        return self.hits / self.positives if self.positives else math.nan

    @property
    def fp_rate(self) -> float:
        return self.false_positives / self.negatives if self.negatives else math.nan

    @property
    def balanced_accuracy(self) -> float:
        """(hit + 1 - fp) / 2; NaN when a side has nothing to judge."""
        return (self.hit_rate + 1.0 - self.fp_rate) / 2.0


CATEGORIES = ("B", "O", "R", "S")


@dataclass
class EventCounts:
    B: Counts = field(default_factory=Counts)
    O: Counts = field(default_factory=Counts)  # noqa: E741 - the category's name
    R: Counts = field(default_factory=Counts)
    S: Counts = field(default_factory=Counts)

    def __add__(self, other: EventCounts) -> EventCounts:
        return EventCounts(*(getattr(self, c) + getattr(other, c) for c in CATEGORIES))


@dataclass(frozen=True)
class EventScore:
    B: float
    O: float  # noqa: E741
    R: float
    S: float
    event: float  # mean of the four
    counts: EventCounts

    def as_dict(self) -> dict[str, float]:
        return {"event": self.event, "B": self.B, "O": self.O, "R": self.R, "S": self.S}


def _index_range(start: float, end: float, n: int) -> slice:
    """Samples i with start <= i / RATE <= end (at least the one nearest the middle)."""
    lo = max(0, math.ceil(start * RATE - 1e-9))
    hi = min(n - 1, math.floor(end * RATE + 1e-9))
    if hi < lo:
        mid = min(n - 1, max(0, round((start + end) / 2 * RATE)))
        return slice(mid, mid + 1)
    return slice(lo, hi + 1)


def _widened(p: Phone, n: int) -> slice:
    return _index_range(p.start - WIDEN, p.end + WIDEN, n)


def _middle_half(p: Phone, n: int) -> slice:
    quarter = p.duration / 4.0
    return _index_range(p.start + quarter, p.end - quarter, n)


def event_counts_from_curves(curves: MouthCurves, phones: Sequence[Phone]) -> EventCounts:
    """Judge gv/w curves (100 Hz) against reference phones, category by category."""
    gap, width = curves.gap, curves.width
    n = gap.shape[0]
    narrow = neutral_signals()[1] - ROUND_NARROWING
    out = EventCounts()
    for p in phones:
        d = p.duration + 1e-9
        label = p.label
        # B closure
        if label in BILABIALS and d >= 0.030:
            out.B.positives += 1
            out.B.hits += int(gap[_widened(p, n)].min() <= CLOSED_GAP)
        if label in VOWELS and d >= 0.060:
            out.B.negatives += 1
            out.B.false_positives += int(gap[_middle_half(p, n)].min() <= CLOSED_GAP)
        # O open
        if label in OPEN_VOWELS and d >= 0.060:
            out.O.positives += 1
            out.O.hits += int(gap[_widened(p, n)].max() >= OPEN_GAP)
        if label in LABIAL_NEGATIVES and d >= 0.030:
            out.O.negatives += 1
            out.O.false_positives += int(gap[_middle_half(p, n)].max() >= OPEN_GAP)
        # R rounding
        if label in ROUNDED and d >= 0.050:
            out.R.positives += 1
            out.R.hits += int(width[_widened(p, n)].min() <= narrow)
        if label in SPREAD_VOWELS and d >= 0.050:
            out.R.negatives += 1
            out.R.false_positives += int(width[_middle_half(p, n)].min() <= narrow)
        # S rest: frames of long pauses at rest; frames of vowels left at rest
        if label == SILENCE and d >= PAUSE_MIN:
            frames = gap[_index_range(p.start + PAUSE_TRIM, p.end - PAUSE_TRIM, n)]
            out.S.positives += int(frames.size)
            out.S.hits += int(np.count_nonzero(frames <= REST_GAP))
        if label in VOWELS and d >= 0.060:
            frames = gap[_middle_half(p, n)]
            out.S.negatives += int(frames.size)
            if frames.max() <= REST_GAP:
                out.S.false_positives += int(np.count_nonzero(frames <= SHUT_GAP))
    return out


def event_counts(weights: np.ndarray, fps: float, phones: Sequence[Phone]) -> EventCounts:
    """Counts for one predicted clip (ARKit-52 weights at `fps`) against its reference phones;
    the prediction is judged over the whole phone timeline."""
    duration = max((p.end for p in phones), default=0.0)
    return event_counts_from_curves(mouth_curves(weights, fps, duration), phones)


def event_score(counts: Iterable[EventCounts]) -> EventScore:
    """Balanced accuracy per category from counts pooled over clips; event = their mean."""
    total = EventCounts()
    for c in counts:
        total = total + c
    scores = [getattr(total, c).balanced_accuracy for c in CATEGORIES]
    return EventScore(*scores, event=float(np.mean(scores)), counts=total)


def score_clips(predictions: Iterable[tuple[np.ndarray, float, Sequence[Phone]]]) -> EventScore:
    """Event score of (weights, fps, reference phones) triples, counts pooled."""
    return event_score(event_counts(w, fps, phones) for w, fps, phones in predictions)


# ---------------------------------------------------------------------------------------------
# FACEGOOD (real artist animation)


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson r; 0 when either side does not move (a still mouth correlates with nothing)."""
    a = np.asarray(a, dtype=np.float64) - np.mean(a)
    b = np.asarray(b, dtype=np.float64) - np.mean(b)
    denom = math.sqrt(float(a @ a) * float(b @ b))
    return float(a @ b / denom) if denom > 1e-12 else 0.0


def best_lag(pred: np.ndarray, true: np.ndarray, max_lag: float = MAX_LAG) -> float:
    """The shift (s) in [-max_lag, max_lag] that maximises r; positive = prediction late,
    i.e. pred(t + lag) follows true(t)."""
    n = min(pred.shape[0], true.shape[0])
    best, best_r = 0, -math.inf
    steps = int(round(max_lag * RATE))
    for k in range(-steps, steps + 1):
        late, early = (pred[k:n], true[: n - k]) if k >= 0 else (pred[: n + k], true[-k:n])
        r = pearson(late, early)
        if r > best_r + 1e-12 or (abs(r - best_r) <= 1e-12 and abs(k) < abs(best)):
            best, best_r = k, r
    return best / RATE


def jitter(gap: np.ndarray) -> float:
    """Mean |second difference| of a 100 Hz curve (mm per sample^2)."""
    return float(np.mean(np.abs(np.diff(gap, n=2)))) if gap.shape[0] > 2 else 0.0


@dataclass(frozen=True)
class FacegoodMetrics:
    r_gap: float
    r_width: float
    lve: float  # mm
    lag: float  # s, positive = prediction late
    jitter: float  # mm, of the prediction's gv

    def as_dict(self) -> dict[str, float]:
        return {"r_gap": self.r_gap, "r_width": self.r_width, "lve": self.lve,
                "lag": self.lag, "jitter": self.jitter}


def facegood_metrics(
    weights: np.ndarray, fps: float, true_weights: np.ndarray, true_fps: float
) -> FacegoodMetrics:
    """Compare a prediction with the artist's curves over the truth's duration."""
    duration = (np.asarray(true_weights).shape[0] - 1) / float(true_fps)
    n = frames_for(duration)
    pred = resample(weights, fps, n).astype(np.float32)
    true = resample(true_weights, true_fps, n).astype(np.float32)
    rig = load_rig()
    kp_pred = rig.keypoints(pred)[:, LIP_LANDMARKS]
    kp_true = rig.keypoints(true)[:, LIP_LANDMARKS]
    lve = float(np.mean(np.max(np.linalg.norm(kp_pred - kp_true, axis=2), axis=1))) * 10.0
    gp, wp = mouth_signals(pred)
    gt, wt = mouth_signals(true)
    return FacegoodMetrics(
        r_gap=pearson(gp, gt),
        r_width=pearson(wp, wt),
        lve=lve,
        lag=best_lag(gp.astype(np.float64), gt.astype(np.float64)),
        jitter=jitter(gp.astype(np.float64)),
    )


def mean_metrics(per_clip: Sequence[FacegoodMetrics]) -> FacegoodMetrics:
    """Average of per-clip metrics (each clip weighs the same)."""
    if not per_clip:
        raise ValueError("no clips to average")
    return FacegoodMetrics(
        *(float(np.mean([getattr(m, k) for m in per_clip]))
          for k in ("r_gap", "r_width", "lve", "lag", "jitter"))
    )
