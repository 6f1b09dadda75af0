"""Emotion of a phrase from its words: voxrig's own word lexicon (core/emotion/lexicon.py,
written for the project, MIT) plus VADER sentiment, with negation and intensifiers handled,
and a few cues a word list misses (interjections, phrases, surprised declarative
questions). A baseline: fast, offline, explainable, and free of any licence a studio
cannot ship."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .lexicon import lexicon as _lexicon

EMOTIONS = ("neutral", "happy", "sad", "angry", "surprised", "afraid", "disgusted")

_NEGATORS = {"not", "no", "never", "nobody", "nothing", "none", "neither", "nor", "without",
             "hardly", "cannot"}
_INTENSIFIERS = {"so": 1.5, "very": 1.5, "really": 1.4, "extremely": 1.8, "totally": 1.5,
                 "absolutely": 1.6, "too": 1.3, "incredibly": 1.7, "such": 1.3}
# Words the lexicons miss or weigh too little in speech: interjections and strong verbs.
_CUES: dict[str, tuple[str, float]] = {
    "wow": ("surprised", 2.0), "whoa": ("surprised", 2.0), "oh": ("surprised", 0.6),
    "amazing": ("surprised", 1.0), "unbelievable": ("surprised", 1.5),
    "ugh": ("disgusted", 2.0), "yuck": ("disgusted", 2.5), "eww": ("disgusted", 2.5),
    "gross": ("disgusted", 2.0), "nasty": ("disgusted", 1.5), "vomit": ("disgusted", 1.5),
    "vomited": ("disgusted", 1.5), "slimy": ("disgusted", 1.5), "filthy": ("disgusted", 1.5),
    "rotten": ("disgusted", 1.0), "smells": ("disgusted", 0.8), "smell": ("disgusted", 0.8),
    "scared": ("afraid", 2.0), "terrified": ("afraid", 2.0), "afraid": ("afraid", 1.5),
    "worried": ("afraid", 1.5), "panic": ("afraid", 1.5), "shaking": ("afraid", 1.0),
    "furious": ("angry", 2.0), "hate": ("angry", 1.5), "dare": ("angry", 1.5),
    "idiot": ("angry", 1.5), "yelling": ("angry", 1.0), "angry": ("angry", 1.5),
    "miss": ("sad", 1.5), "lonely": ("sad", 1.5), "cried": ("sad", 1.5), "alone": ("sad", 1.0),
    "lost": ("sad", 1.0), "sorry": ("sad", 1.0), "goodbye": ("sad", 1.0),
    "miserable": ("sad", 1.5), "love": ("happy", 1.0), "fun": ("happy", 1.0),
    "happy": ("happy", 1.5), "smile": ("happy", 1.0), "enjoyed": ("happy", 1.0),
}
# Several-word cues, matched on the joined lowercase tokens.
_PHRASES: dict[str, tuple[str, float]] = {
    "no way": ("surprised", 2.0), "can't believe": ("surprised", 2.0),
    "had no idea": ("surprised", 2.0), "didn't expect": ("surprised", 2.0),
    "never would have": ("surprised", 1.5), "what if": ("afraid", 2.0),
    "shut up": ("angry", 2.0), "get out": ("angry", 1.5), "how dare": ("angry", 1.0),
    "throw up": ("disgusted", 2.0), "can't stand": ("disgusted", 1.5),
    "don't hurt": ("afraid", 2.0), "passed away": ("sad", 2.0), "didn't make it": ("sad", 1.5),
}
# A question that starts like this asks for information; one that does not ("You're
# getting married?") usually voices surprise.
_QUESTION_OPENERS = {"what", "who", "where", "when", "why", "how", "which", "can", "could",
                     "would", "will", "shall", "should", "do", "does", "did", "is", "are",
                     "was", "were", "have", "has", "may", "might", "am"}
_AROUSAL = {"neutral": 0.3, "happy": 0.6, "sad": 0.2, "angry": 0.85, "surprised": 0.8,
            "afraid": 0.8, "disgusted": 0.55}
NEUTRAL_EVIDENCE = 1.2  # evidence a class needs to beat a neutral reading
_TEMPERATURE = 0.3  # softmax temperature over the evidence scores (clear winners)


@dataclass(frozen=True)
class TextEmotion:
    """How a phrase reads: probabilities over EMOTIONS, valence in [-1, 1], arousal in [0, 1]."""

    probs: tuple[float, ...]
    valence: float
    arousal: float

    @property
    def label(self) -> str:
        return EMOTIONS[int(np.argmax(self.probs))]

    def prob(self, name: str) -> float:
        return self.probs[EMOTIONS.index(name)]


def tokenize(text: str) -> list[str]:
    return re.findall(r"[a-z]+(?:'[a-z]+)?", text.lower())


@lru_cache(maxsize=1)
def _vader():  # noqa: ANN202 - third-party type
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def _negated(tokens: list[str]) -> list[bool]:
    """A word up to three places after a negator ("not", "didn't", ...) is negated."""
    out, left = [], 0
    for tok in tokens:
        out.append(left > 0)
        left -= 1
        if tok in _NEGATORS or tok.endswith("n't"):
            left = 3
    return out


def classify(text: str) -> TextEmotion:
    """The emotion a phrase most likely voices."""
    tokens = tokenize(text)
    scores = dict.fromkeys(EMOTIONS, 0.0)
    lexicon = _lexicon()
    negated = _negated(tokens)
    boost = 1.0
    for tok, neg in zip(tokens, negated, strict=True):
        weight = boost
        boost = _INTENSIFIERS.get(tok, 1.0)
        if neg:
            continue  # "not happy" is not happy; VADER's valence carries the flip
        tags = lexicon.get(tok, {})
        for tag, value in tags.items():  # a word of many emotions says little about each
            scores[tag] += weight * value / len(tags)
        if tok in _CUES:
            name, value = _CUES[tok]
            scores[name] += weight * value
    # A long run-on phrase collects lexicon hits by sheer length: judge it like a sentence
    # of about a dozen words.
    damp = min(1.0, float(np.sqrt(12.0 / max(len(tokens), 1))))
    for name in scores:
        scores[name] *= damp
    joined = " ".join(tokens)
    for phrase, (name, value) in _PHRASES.items():
        if re.search(rf"\b{re.escape(phrase)}\b", joined):
            scores[name] += value
    stripped = text.strip()
    for sentence in re.findall(r"[^.!?]+\?", stripped):
        words = tokenize(sentence)
        if words and words[0] not in _QUESTION_OPENERS:
            scores["surprised"] += 1.5
    compound = float(_vader().polarity_scores(text)["compound"])
    if compound > 0:
        scores["happy"] += 2.0 * compound
    else:  # negative valence backs whichever negative emotion the words name (sad if none)
        negatives = ("sad", "angry", "afraid", "disgusted")
        total = sum(scores[n] for n in negatives)
        for n in negatives:
            share = scores[n] / total if total > 0 else (1.0 if n == "sad" else 0.0)
            scores[n] += -1.5 * compound * share
    if "!" in stripped:  # exclamation intensifies whatever is voiced
        for n in EMOTIONS[1:]:
            scores[n] *= 1.3
    scores["neutral"] = NEUTRAL_EVIDENCE
    values = np.array([scores[n] for n in EMOTIONS])
    probs = np.exp((values - values.max()) / _TEMPERATURE)
    probs /= probs.sum()
    arousal = float(sum(p * _AROUSAL[n] for p, n in zip(probs, EMOTIONS, strict=True)))
    return TextEmotion(tuple(float(p) for p in probs), compound, arousal)
