"""Pronunciations: dictionary words as CMUdict says, every other word by rules, never empty."""

import pytest

from voxrig.core.g2p import letter_to_sound, pronounce
from voxrig.core.names import ARPABET


def test_dictionary_words_get_the_cmudict_pronunciation_without_stress():
    assert pronounce("hello") == ["HH", "AH", "L", "OW"]
    assert pronounce("Table") == ["T", "EY", "B", "AH", "L"]
    assert pronounce("i'm") == ["AY", "M"]


@pytest.mark.parametrize("word", ["voxrig", "zyzzogeton", "skibidi", "blorptastic", "x", "e"])
def test_unknown_words_get_a_non_empty_valid_pronunciation(word):
    phones = pronounce(word)
    assert phones
    assert all(p in ARPABET for p in phones)


def test_words_without_letters_have_no_pronunciation():
    assert pronounce("'") == []
    assert letter_to_sound("123") == []


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("voxrig", ["V", "AA", "K", "S", "R", "IH", "G"]),
        ("skibidi", ["S", "K", "IH", "B", "IH", "D", "IH"]),
        ("bike", ["B", "AY", "K"]),  # silent final e lengthens the vowel
        ("knight", ["N", "AY", "T"]),  # silent k, igh
        ("church", ["CH", "ER", "CH"]),
        ("phone", ["F", "OW", "N"]),
        ("city", ["S", "IH", "T", "IY"]),  # soft c, final y
        ("jumped", ["JH", "AH", "M", "P", "T"]),  # -ed after a voiceless consonant
    ],
)
def test_letter_to_sound_rules_read_common_spelling_patterns(word, expected):
    assert letter_to_sound(word) == expected


def test_letter_to_sound_is_close_to_the_dictionary_on_dictionary_words():
    words = ["garden", "button", "sister", "window", "mark", "rain", "boat", "spoon", "think"]
    exact = sum(letter_to_sound(w) == pronounce(w) for w in words)
    assert exact >= 6


def test_unknown_possessives_and_contractions_build_on_the_base_word():
    assert pronounce("voxrig's") == pronounce("voxrig") + ["Z"]
    assert pronounce("gonzalezz's")[-2:] == ["IH", "Z"]
