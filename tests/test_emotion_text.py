import numpy as np

from bench.emotion import read_sentences
from voxrig.core.emotion.text import EMOTIONS, classify


def test_baseline_reads_the_emotion_of_at_least_70_percent_of_the_dialogue_lines():
    rows = read_sentences()
    assert len(rows) >= 60
    assert {label for label, _ in rows} == set(EMOTIONS)
    correct = sum(classify(text).label == label for label, text in rows)
    assert correct / len(rows) >= 0.70


def test_negation_removes_the_emotion_of_a_negated_word():
    assert classify("I am happy with it.").label == "happy"
    assert classify("I am not happy with it.").label != "happy"
    assert classify("I am not happy with it.").valence < 0


def test_intensifiers_make_an_emotion_more_likely():
    assert classify("I am very angry.").prob("angry") > classify("I am angry.").prob("angry")


def test_probabilities_sum_to_one_and_plain_facts_read_neutral():
    e = classify("The bus leaves at nine.")
    assert np.isclose(sum(e.probs), 1.0) and e.label == "neutral"
