import tomllib
from pathlib import Path

import numpy as np

from bench.emotion import HELDOUT, read_sentences
from voxrig.core.emotion.lexicon import _WORDS, _forms, lexicon
from voxrig.core.emotion.text import EMOTIONS, classify


def test_baseline_reads_the_emotion_of_at_least_70_percent_of_the_dialogue_lines():
    rows = read_sentences()
    assert len(rows) >= 60
    assert {label for label, _ in rows} == set(EMOTIONS)
    correct = sum(classify(text).label == label for label, text in rows)
    assert correct / len(rows) >= 0.70


def test_lines_never_tuned_on_are_read_right_at_least_70_percent_of_the_time():
    rows = read_sentences(HELDOUT)
    assert len(rows) >= 60
    assert {label for label, _ in rows} == set(EMOTIONS)
    correct = sum(classify(text).label == label for label, text in rows)
    assert correct / len(rows) >= 0.70


def test_every_inflection_of_a_lexicon_word_carries_its_emotion():
    for emotion, tiers in _WORDS.items():
        for weight, words in tiers.items():
            for base in words.split():
                for form in _forms(base):
                    assert lexicon()[form][emotion] >= weight, (base, form)


def test_doubling_inflections_are_known():
    assert "sad" in lexicon()["sobbing"] and "happy" in lexicon()["grinning"]
    assert "sad" in lexicon()["sadder"]


def test_the_lexicon_names_only_the_classifier_emotions():
    assert {e for entry in lexicon().values() for e in entry} == set(EMOTIONS) - {"neutral"}


def test_no_restricted_lexicon_is_a_runtime_dependency():
    project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    names = {d.split(">")[0].split("=")[0].split("<")[0].strip().lower()
             for d in project["project"]["dependencies"]}
    assert not names & {"nrclex", "textblob", "nltk"}


def test_negation_removes_the_emotion_of_a_negated_word():
    assert classify("I am happy with it.").label == "happy"
    assert classify("I am not happy with it.").label != "happy"
    assert classify("I am not happy with it.").valence < 0


def test_intensifiers_make_an_emotion_more_likely():
    assert classify("I am very angry.").prob("angry") > classify("I am angry.").prob("angry")


def test_probabilities_sum_to_one_and_plain_facts_read_neutral():
    e = classify("The bus leaves at nine.")
    assert np.isclose(sum(e.probs), 1.0) and e.label == "neutral"
