"""Forced alignment over phone posteriors: the transcript's phones placed on the neural
model's per-frame phone log posteriors by Viterbi search (docs/alignment.md).

pocketsphinx decides with its own beams whether a path exists, and on fast, noisy or hoarse
speech often finds none. A Viterbi search over posteriors always finds the best path through
the words (every frame is scored, nothing is pruned), so a matching transcript is never thrown
away; whether it *is* the matching one is judged afterwards by how close the forced phones
come to the phones the model hears freely (the fit). A prototype: bench/posterior.py
measures it beside pocketsphinx; core/align does not use it yet, because with today's phone
head the fit does not tell a wrong transcript well enough (docs/alignment.md).

The search graph, left to right: an optional pause and hesitation before the first word,
each word's phones (each at least `min_frames` long), between two words an optional pause,
an optional hesitation ("uh" AH, "um" AH M) and another optional pause, and an
optional pause after the last word. Nothing but a pause may follow the last word, so speech
the transcript lacks at the end must be forced into silence, where it fits badly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .names import SILENCE

MIN_PHONE_FRAMES = 2  # 20 ms: fast speech (8 words a second) has phones of 30 ms and less
MIN_PAUSE_FRAMES = 1
PAUSE_COST = 2.0  # log-probability of entering an optional pause between words
FILLER_COST = 6.0  # ... of a hesitation the transcript does not have
FILLER = ("AH", "M")  # "uh", and with its M "um" (the M may be left out)
FALLBACK_PHONE = "AH"  # a pronunciation's phone the model does not know
_START = -1  # the "token" before the first frame


@dataclass(frozen=True)
class Token:
    """One phone of the search graph: what it emits, how long it lasts at least, which
    transcript word it belongs to (-1 for pauses and hesitations), what may precede it and
    at what cost."""

    phone: int  # column of the posteriors
    min_frames: int
    word: int
    preds: tuple[int, ...]  # token indices, _START for the beginning
    cost: float = 0.0  # log-probability cost of entering it


@dataclass
class PosteriorAlignment:
    """Phones and words in 10 ms frames ([start, end)), and how well the transcript fits."""

    phones: list[tuple[str, int, int]]
    words: list[tuple[int, int, int]]  # transcript word index, start, end
    fit: float  # mean over speech frames of forced minus best free log posterior (<= 0)
    word_fit: list[float]  # the same per transcript word, over its own frames
    speech_frames: int


def _graph(pronunciations: Sequence[Sequence[Sequence[int]]], pause: int,
           filler: Sequence[int], min_frames: int) -> tuple[list[Token], list[int]]:
    """Tokens in order and the tokens an alignment may end on. Each word is one or more
    pronunciations side by side, each entered from what precedes the word."""
    tokens: list[Token] = []

    def add(phone: int, frames: int, word: int, preds: list[int], cost: float = 0.0) -> int:
        tokens.append(Token(phone, frames, word, tuple(preds), cost))
        return len(tokens) - 1

    exits = [_START]
    for w, variants in enumerate(pronunciations):
        first = add(pause, MIN_PAUSE_FRAMES, -1, exits, PAUSE_COST if w else 0.0)
        exits = [*exits, first]
        said: list[int] = []
        for k, phone in enumerate(filler):  # each phone of the hesitation may end it
            said.append(add(phone, min_frames, -1, said[-1:] or exits, FILLER_COST * (k == 0)))
        if said:
            exits = [*exits, *said]
            exits.append(add(pause, MIN_PAUSE_FRAMES, -1, exits, PAUSE_COST))
        ends = []
        for pron in variants:
            prev = exits
            for phone in pron:
                prev = [add(phone, min_frames, w, prev)]
            ends += prev
        exits = ends
    last = add(pause, MIN_PAUSE_FRAMES, -1, exits)
    return tokens, [*exits, last]


@dataclass
class _States:
    """Each token as a chain of `min_frames` states, the last one looping. The search's
    transitions come in three kinds, each computed for all states at once: stay (the loop),
    step (from the state just before, inside a token or from the token before), and the few
    other entries (a word after optional pauses and hesitations), in a small padded table."""

    owner: np.ndarray  # (S,) token of each state
    phone: np.ndarray  # (S,) posterior column each state emits
    stay: np.ndarray  # (S,) 0 where the state loops, -inf where not
    step: np.ndarray  # (S,) cost of coming from state s - 1, -inf where not allowed
    entry_states: np.ndarray  # (D,) states with other predecessors
    entry_from: np.ndarray  # (D, K) those predecessors (S = none)
    entry_cost: np.ndarray  # (D, K)
    start: np.ndarray  # (S,) cost of starting there, -inf where not allowed
    last: np.ndarray  # (tokens,) last state of each token


def _states(tokens: list[Token]) -> _States:
    """The tokens' states and transitions, laid out for the frame-by-frame search."""
    first_state, last_state, owner = [], [], []
    for t, token in enumerate(tokens):
        first_state.append(len(owner))
        owner += [t] * token.min_frames
        last_state.append(len(owner) - 1)
    count = len(owner)
    stay = np.full(count, -np.inf, np.float32)
    step = np.full(count, -np.inf, np.float32)
    start = np.full(count, -np.inf, np.float32)
    stay[last_state] = 0.0
    inside = np.ones(count, bool)
    inside[first_state] = False
    step[inside] = 0.0
    entries: list[tuple[int, list[int], float]] = []
    for t, token in enumerate(tokens):
        a = first_state[t]
        froms = [last_state[p] for p in token.preds if p != _START]
        if _START in token.preds:
            start[a] = -token.cost
        if froms == [a - 1]:
            step[a] = -token.cost
        elif froms:
            entries.append((a, froms, -token.cost))
    width = max((len(f) for _, f, _ in entries), default=1)
    entry_from = np.full((len(entries), width), count, np.int64)
    entry_cost = np.full((len(entries), width), -np.inf, np.float32)
    for d, (_, froms, cost) in enumerate(entries):
        entry_from[d, : len(froms)] = froms
        entry_cost[d, : len(froms)] = cost
    phone = np.array([tokens[t].phone for t in owner], np.int64)
    return _States(np.array(owner), phone, stay, step,
                   np.array([a for a, _, _ in entries], np.int64), entry_from, entry_cost,
                   start, np.array(last_state))


STAY, STEP, ENTRY = 0, 1, 2  # how the best path reached a state


def _viterbi(emit: np.ndarray, g: _States, final: np.ndarray) -> np.ndarray | None:
    """The best state per frame through the graph ((T, S) emission log-probabilities), ending
    on one of the `final` states; None when no path fits the frames (too few of them)."""
    frames, count = emit.shape
    how = np.empty((frames, count), np.int8)
    which = np.empty((frames, len(g.entry_states)), np.int8)
    padded = np.full(count + 1, -np.inf, np.float32)  # the last: "no predecessor"
    delta = padded[:count]
    delta[:] = g.start + emit[0]
    rows = np.arange(len(g.entry_states))
    moved = np.full(count, -np.inf, np.float32)
    stayed = np.empty(count, np.float32)
    for t in range(1, frames):
        np.add(delta, g.stay, out=stayed)
        np.add(delta[:-1], g.step[1:], out=moved[1:])
        np.greater(moved, stayed, out=how[t])
        np.maximum(stayed, moved, out=stayed)
        entered = padded[g.entry_from] + g.entry_cost
        pick = entered.argmax(axis=1)
        which[t] = pick
        value = entered[rows, pick]
        better = value > stayed[g.entry_states]
        won = g.entry_states[better]
        stayed[won] = value[better]
        how[t, won] = ENTRY
        np.add(stayed, emit[t], out=delta)
    ends = np.full(count, -np.inf, np.float32)
    ends[final] = delta[final]
    state = int(ends.argmax())
    if not np.isfinite(ends[state]):
        return None
    entry_index = np.full(count, -1, np.int64)
    entry_index[g.entry_states] = np.arange(len(g.entry_states))
    path = np.empty(frames, np.int64)
    for t in range(frames - 1, 0, -1):
        path[t] = state
        kind = how[t, state]
        if kind == STEP:
            state -= 1
        elif kind == ENTRY:
            d = entry_index[state]
            state = int(g.entry_from[d, which[t, d]])
    path[0] = state
    return path


def align_posteriors(logp: np.ndarray, pronunciations: Sequence[Sequence[str]],
                     labels: Sequence[str], fillers: bool = True,
                     min_frames: int = MIN_PHONE_FRAMES,
                     alternatives: Sequence[Sequence[Sequence[str]]] = ()
                     ) -> PosteriorAlignment | None:  # fmt: skip
    """The transcript's words (each a list of phone labels; `alternatives[w]`, when given,
    more pronunciations of word w, the best of which is taken) forced onto (T, len(labels))
    per-frame log posteriors; None when the frames are too few for the phones."""
    column = {label: i for i, label in enumerate(labels)}
    pause = column[SILENCE]
    more = list(alternatives) + [()] * (len(pronunciations) - len(alternatives))
    ids = [[[column.get(p, column[FALLBACK_PHONE]) for p in pron] for pron in (first, *extra)]
           for first, extra in zip(pronunciations, more, strict=True)]
    filler = [column[p] for p in FILLER] if fillers else []
    tokens, ends = _graph(ids, pause, filler, min_frames)
    graph = _states(tokens)
    logp = np.asarray(logp, np.float32)
    if len(logp) == 0:
        return None
    path = _viterbi(logp[:, graph.phone], graph, graph.last[ends])
    if path is None:
        return None
    return _result(logp, path, graph.owner, tokens, labels, pause, len(pronunciations))


def _result(logp: np.ndarray, path: np.ndarray, owner: np.ndarray, tokens: list[Token],
            labels: Sequence[str], pause: int, words: int) -> PosteriorAlignment:
    """Phones and words from the best path, and the fit."""
    token_at = owner[path]
    change = np.flatnonzero(np.diff(token_at)) + 1
    bounds = [0, *change.tolist(), len(path)]
    phones, word_spans = [], {}
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        token = tokens[int(token_at[a])]
        phones.append((labels[token.phone], a, b))
        if token.word >= 0:
            s, _ = word_spans.get(token.word, (a, b))
            word_spans[token.word] = (s, b)
    forced_id = np.array([tokens[t].phone for t in token_at.tolist()])
    forced = logp[np.arange(len(path)), forced_id]
    gap = forced - logp.max(axis=1)
    speech = (logp.argmax(axis=1) != pause) | (forced_id != pause)
    fit = float(gap[speech].mean()) if speech.any() else 0.0
    word_fit = [float(gap[s:e].mean()) if (s, e) != (0, 0) else -np.inf
                for s, e in (word_spans.get(w, (0, 0)) for w in range(words))]
    return PosteriorAlignment(
        phones=phones,
        words=[(w, *word_spans[w]) for w in sorted(word_spans)],
        fit=fit,
        word_fit=word_fit,
        speech_frames=int(speech.sum()),
    )
