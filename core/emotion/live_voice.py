"""The voice, live: loudness and pitch of the audio heard so far, its arousal judged against
this voice's own running statistics, and its pitch accents (no look-ahead).

The bake judges every step against the whole clip's medians (core/emotion/voice.py); a stream
has only what it has heard, so here the medians and the speech level are those of the last
MEMORY seconds. The per-10 ms loudness and pitch are the bake's own functions on the same
windows (the first window padded with zeros as the bake pads the clip), so they are equal;
the arousal of a step differs only by those medians and by the phone rate the bake adds (a
stream has no phones)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import ANALYSIS_RATE
from ..features import loudness_db, normalised_loudness, speech_level
from ..idle import ACCENT_GAP, accent_peaks
from .voice import RATE, pitch_track, semitones_of, step_arousal

HOP = int(ANALYSIS_RATE / RATE)  # samples per 10 ms analysis hop
REACH = HOP * 2  # samples a hop's windows reach on each side (pitch: 40 ms, loudness: 30 ms)
MEMORY = 120.0  # s of the voice's history its running statistics keep
SPEECH = 0.35  # normalised loudness above which a hop counts as speech (as the bake's)
# hops analysed together: each analysis call costs more than its hops' work; 80 ms behind
# plus REACH stays within the engines' own delay (>= 0.11 s), so a frame's step is known
BATCH = 8


class VoiceTracker:
    """Audio in (mono float32 at ANALYSIS_RATE, any chunk size); per analysis step of `step`
    seconds, the arousal of that step, and the pitch accents, once their audio has been
    heard. Hops are analysed BATCH at a time whatever the chunks, so the results do not
    depend on how the audio was cut."""

    def __init__(self, step: float) -> None:
        self.step = step
        self._audio = np.zeros(REACH, np.float32)  # from sample `_base` on
        self._base = -REACH
        self._received = 0
        self._db = np.zeros(0)  # per remembered hop (the last MEMORY s), the newest last
        self._f0 = np.zeros(0)
        self._hops = 0  # hops analysed so far
        self._arousal: list[float] = []  # per finished step
        self._step_hops = int(round(step * RATE))
        self.accents: list[float] = []  # times of the pitch accents heard so far
        self._accents_checked = 0  # hops judged for accents
        self._stats: _Stats | None = None  # as of the last finished step

    @property
    def f0(self) -> np.ndarray:
        """Pitch (Hz, 0 unvoiced) of the remembered hops, the newest last."""
        return self._f0.copy()

    @property
    def db(self) -> np.ndarray:
        """Loudness (dBFS of the voice band) of the remembered hops, the newest last."""
        return self._db.copy()

    @property
    def hops(self) -> int:
        return self._hops

    def hear(self, samples: np.ndarray) -> None:
        """Take more audio; analyse every whole batch of hops whose windows it completes
        (their loudness and pitch in one call: the values do not depend on the cut)."""
        x = np.asarray(samples, np.float32).reshape(-1)
        self._audio = np.concatenate([self._audio, x])
        self._received += x.size
        batches = ((self._received - REACH) // HOP + 1 - self._hops) // BATCH
        if batches <= 0:
            return
        new = batches * BATCH
        first = self._hops * HOP - REACH - self._base
        segment = self._audio[first:first + (new - 1) * HOP + 2 * REACH]
        db = loudness_db(segment, ANALYSIS_RATE, RATE)[2:2 + new]
        f0 = pitch_track(segment, ANALYSIS_RATE)[2:2 + new]
        drop = (self._hops + new) * HOP - REACH - self._base
        self._audio, self._base = self._audio[drop:], self._base + drop
        for k in range(0, new, BATCH):
            self._add_batch(db[k:k + BATCH], f0[k:k + BATCH])

    def _add_batch(self, db: np.ndarray, f0: np.ndarray) -> None:
        """BATCH more hops: the steps they finish are judged, and the accents they complete
        found, against the voice heard up to them (its statistics renewed once a step)."""
        keep = int(MEMORY * RATE)
        self._db = np.concatenate([self._db, db])[-keep:]
        self._f0 = np.concatenate([self._f0, f0])[-keep:]
        self._hops += BATCH
        while (len(self._arousal) + 1) * self._step_hops <= self._hops:
            self._stats = _Stats.of(self._db, self._f0)
            self._arousal.append(self._judge(len(self._arousal)))
        if self._stats is None:
            self._stats = _Stats.of(self._db, self._f0)
        self._find_accents()

    def _find_accents(self) -> None:
        """The bake's pitch accents (idle.accent_peaks) among the hops whose smoothing and
        peak are complete (3 hops later), against the median pitch heard so far."""
        last = self._hops - 4
        first = self._hops - self._f0.size  # the hop the memory starts at
        stats = self._stats
        if stats.voiced >= 10:
            lo = max(self._accents_checked - first - 3, 0)
            f0 = self._f0[lo:]
            st = np.where(f0 > 0, 12 * np.log2(np.maximum(f0, 1.0)), np.nan)
            peaks = accent_peaks(st, stats.loudness(self._db[lo:]),
                                 stats.median_st + SEMITONES_100) + lo + first
            for hop in peaks[(peaks >= self._accents_checked) & (peaks <= last)]:
                t = hop / RATE
                if not self.accents or t - self.accents[-1] >= ACCENT_GAP:
                    self.accents.append(float(t))
        self._accents_checked = last + 1

    def arousal_at(self, t: float) -> float:
        """Arousal of the last step finished by `t` seconds (0.5, the voice's usual, before
        any)."""
        done = min(len(self._arousal), int(t / self.step + 1e-9))
        return self._arousal[done - 1] if done > 0 else 0.5

    def _judge(self, index: int) -> float:
        """Step `index`'s arousal against the remembered voice."""
        stats = self._stats
        # the step's hops are the newest ones unless more have come since
        end = self._db.size - (self._hops - (index + 1) * self._step_hops)
        rows = slice(max(0, end - self._step_hops), max(0, end))
        loud = stats.loudness(self._db[rows])
        return step_arousal(loud, semitones_of(self._f0[rows]), loud > SPEECH, stats.med_loud,
                            stats.median_st)


SEMITONES_100 = 12 * np.log2(100.0)  # semitones_of counts from 100 Hz, the bake's accents from 1


@dataclass(frozen=True)
class _Stats:
    """The remembered voice's statistics: its speech level, the median loudness of its
    speech and its median pitch (semitones above 100 Hz), and how many hops were voiced."""

    level: float
    med_loud: float
    median_st: float
    voiced: int

    @classmethod
    def of(cls, db: np.ndarray, f0: np.ndarray) -> _Stats:
        level = speech_level(db)
        loud = normalised_loudness(db, level=level)
        speech = loud > SPEECH
        semitones = semitones_of(f0)
        voiced = ~np.isnan(semitones)
        return cls(level, float(np.median(loud[speech])) if speech.any() else 0.5,
                   float(np.median(semitones[voiced])) if voiced.any() else 0.0,
                   int(voiced.sum()))

    def loudness(self, db: np.ndarray) -> np.ndarray:
        """normalised_loudness of `db` against this speech level."""
        return normalised_loudness(db, level=self.level)
