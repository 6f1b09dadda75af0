"""Viterbi forced alignment over phone posteriors (core/posterior_align.py). The posteriors
are built from a known phone sequence with noise: a real input for the search, whose right
answer is known to the frame."""

import numpy as np
import pytest

from voxrig.core.names import ARPABET, SILENCE
from voxrig.core.posterior_align import align_posteriors

LABELS = (*sorted(ARPABET), SILENCE)  # the neural model's phone set (training/features.py)
COLUMN = {label: i for i, label in enumerate(LABELS)}
HELLO_WORLD = [["HH", "AH", "L", "OW"], ["W", "ER", "L", "D"]]


def posteriors(segments: list[tuple[str, int]], seed: int = 0, sharpness: float = 4.0,
               noise: float = 1.0) -> np.ndarray:
    """Log posteriors of a voice saying `segments` (label, frames): the phone said leads
    each frame's logits by `sharpness`, Gaussian noise on every logit."""
    ids = np.concatenate([np.full(n, COLUMN[label]) for label, n in segments])
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, noise, (len(ids), len(LABELS)))
    logits[np.arange(len(ids)), ids] += sharpness
    return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))


def boundaries(segments: list[tuple[str, int]]) -> np.ndarray:
    return np.cumsum([n for _, n in segments])[:-1]


def said(words: list[list[str]], frames: int = 8, pause: int = 0, lead: int = 20
         ) -> list[tuple[str, int]]:  # fmt: skip
    """Segments of the words spoken with `frames` per phone, `pause` frames between words,
    `lead` frames of silence before and after."""
    out = [(SILENCE, lead)]
    for k, word in enumerate(words):
        if k and pause:
            out.append((SILENCE, pause))
        out += [(p, frames) for p in word]
    return [*out, (SILENCE, lead)]


def test_phone_boundaries_are_recovered_from_noisy_posteriors():
    segments = said(HELLO_WORLD, frames=7)
    result = align_posteriors(posteriors(segments, noise=1.5), HELLO_WORLD, LABELS)
    assert [label for label, _, _ in result.phones] == [label for label, _ in segments]
    found = np.array([start for _, start, _ in result.phones[1:]])
    assert np.abs(found - boundaries(segments)).max() <= 1


def test_words_are_timed_by_their_first_and_last_phone():
    segments = said(HELLO_WORLD, frames=6, pause=30)
    result = align_posteriors(posteriors(segments), HELLO_WORLD, LABELS)
    assert result.words == [(0, 20, 44), (1, 74, 98)]


def test_a_pause_between_words_is_silence_not_part_of_a_word():
    segments = said(HELLO_WORLD, pause=150)
    result = align_posteriors(posteriors(segments), HELLO_WORLD, LABELS)
    pauses = [(a, b) for label, a, b in result.phones if label == SILENCE]
    assert (52, 202) in pauses


def test_words_said_without_a_pause_between_them_need_none():
    segments = said(HELLO_WORLD, frames=5, pause=0)
    result = align_posteriors(posteriors(segments), HELLO_WORLD, LABELS)
    assert result.words[0][2] == result.words[1][1] == 40


def test_a_hesitation_not_in_the_transcript_is_left_out_of_the_words():
    segments = [(SILENCE, 20), *[(p, 8) for p in HELLO_WORLD[0]], (SILENCE, 10), ("AH", 25),
                ("M", 15), (SILENCE, 10), *[(p, 8) for p in HELLO_WORLD[1]], (SILENCE, 20)]
    result = align_posteriors(posteriors(segments), HELLO_WORLD, LABELS)
    assert result.words == [(0, 20, 52), (1, 112, 144)]
    assert ("AH", 62, 87) in result.phones and ("M", 87, 102) in result.phones
    assert result.fit > -0.5


def test_without_fillers_a_hesitation_is_forced_into_the_words_and_fits_worse():
    segments = [(SILENCE, 20), *[(p, 8) for p in HELLO_WORLD[0]], ("AH", 25), ("M", 15),
                *[(p, 8) for p in HELLO_WORLD[1]], (SILENCE, 20)]
    logp = posteriors(segments)
    with_fillers = align_posteriors(logp, HELLO_WORLD, LABELS)
    without = align_posteriors(logp, HELLO_WORLD, LABELS, fillers=False)
    assert without.fit < with_fillers.fit - 0.5


def test_the_matching_transcript_fits_close_to_what_is_heard():
    segments = said(HELLO_WORLD)
    result = align_posteriors(posteriors(segments), HELLO_WORLD, LABELS)
    assert -0.3 < result.fit <= 0.0
    assert all(-0.5 < f <= 0.0 for f in result.word_fit)


def test_a_wrong_transcript_fits_clearly_worse():
    logp = posteriors(said(HELLO_WORLD))
    right = align_posteriors(logp, HELLO_WORLD, LABELS).fit
    wrong = align_posteriors(logp, [["G", "UH", "D"], ["B", "AY"]], LABELS).fit
    assert wrong < right - 2.0


def test_a_transcript_missing_a_word_leaves_speech_forced_into_silence():
    logp = posteriors(said(HELLO_WORLD, pause=10))
    full = align_posteriors(logp, HELLO_WORLD, LABELS)
    half = align_posteriors(logp, HELLO_WORLD[:1], LABELS)
    assert half.fit < full.fit - 1.0
    assert half.speech_frames >= full.speech_frames - 2


def test_the_word_that_was_not_said_is_the_one_that_fits_worst():
    logp = posteriors(said(HELLO_WORLD))
    result = align_posteriors(logp, [HELLO_WORLD[0], ["B", "IY"], HELLO_WORLD[1]], LABELS)
    assert int(np.argmin(result.word_fit)) == 1


@pytest.mark.parametrize("min_frames", [1, 2, 3])
def test_no_phone_is_shorter_than_the_minimum(min_frames):
    segments = said(HELLO_WORLD, frames=1)  # a voice faster than the minimum allows
    result = align_posteriors(posteriors(segments), HELLO_WORLD, LABELS, min_frames=min_frames)
    spoken = [b - a for label, a, b in result.phones if label != SILENCE]
    assert len(spoken) == 8 and min(spoken) >= min_frames


def test_too_few_frames_for_the_phones_is_no_alignment():
    logp = posteriors([("HH", 3), ("AH", 3)])
    assert align_posteriors(logp, HELLO_WORLD, LABELS) is None
    assert align_posteriors(logp[:0], HELLO_WORLD, LABELS) is None


def test_an_unknown_phone_label_is_aligned_as_a_neutral_vowel():
    segments = said([["HH", "AH", "L", "OW"]])
    result = align_posteriors(posteriors(segments), [["HH", "AX", "L", "OW"]], LABELS)
    assert [label for label, _, _ in result.phones][1:5] == ["HH", "AH", "L", "OW"]


def test_of_a_words_pronunciations_the_one_said_is_aligned():
    segments = said([["DH", "IY"]], frames=10)
    logp = posteriors(segments)
    result = align_posteriors(logp, [["DH", "AH"]], LABELS, alternatives=[[["DH", "IY"]]])
    assert [label for label, _, _ in result.phones] == [SILENCE, "DH", "IY", SILENCE]
    assert result.fit > align_posteriors(logp, [["DH", "AH"]], LABELS).fit + 1.0
