"""Transcript normalisation: what the aligner is asked to find must be what was said."""

from voxrig.core.transcript import normalise_transcript, number_words, ordinal_words, year_words


def test_words_are_lower_case_without_punctuation():
    assert normalise_transcript("Hello, World! How are you?") == [
        "hello", "world", "how", "are", "you",
    ]  # fmt: skip


def test_inline_tags_in_square_brackets_are_removed():
    assert normalise_transcript("[happy] Nice to see you [laughs] again.") == [
        "nice", "to", "see", "you", "again",
    ]  # fmt: skip


def test_word_internal_apostrophes_are_kept_and_quotes_dropped():
    assert normalise_transcript("I'm sure it's 'fine', isn\u2019t it?") == [
        "i'm", "sure", "it's", "fine", "isn't", "it",
    ]  # fmt: skip


def test_hyphenated_words_are_split():
    assert normalise_transcript("a well-known twenty-one-year-old") == [
        "a", "well", "known", "twenty", "one", "year", "old",
    ]  # fmt: skip


def test_cardinal_numbers_are_spelled_out():
    assert number_words(0) == "zero"
    assert number_words(42) == "forty two"
    assert number_words(115) == "one hundred fifteen"
    assert number_words(1_000_001) == "one million one"
    assert normalise_transcript("7 days") == ["seven", "days"]
    assert normalise_transcript("1,250 people") == ["one", "thousand", "two", "hundred", "fifty",
                                                    "people"]  # fmt: skip


def test_four_digit_years_are_read_as_years():
    assert year_words(1999) == "nineteen ninety nine"
    assert year_words(1905) == "nineteen oh five"
    assert normalise_transcript("In 1999, and 2024.") == [
        "in", "nineteen", "ninety", "nine", "and", "twenty", "twenty", "four",
    ]  # fmt: skip
    assert normalise_transcript("2005") == ["two", "thousand", "five"]


def test_decimals_are_read_digit_by_digit_after_point():
    assert normalise_transcript("3.5 and 0.25") == [
        "three", "point", "five", "and", "zero", "point", "two", "five",
    ]  # fmt: skip


def test_ordinals_are_spelled_out():
    assert ordinal_words(21) == "twenty first"
    assert ordinal_words(12) == "twelfth"
    assert ordinal_words(30) == "thirtieth"
    assert normalise_transcript("the 21st and 3rd and 100th") == [
        "the", "twenty", "first", "and", "third", "and", "one", "hundredth",
    ]  # fmt: skip


def test_currency_and_percent_are_spoken_with_their_units():
    assert normalise_transcript("$5") == ["five", "dollars"]
    assert normalise_transcript("$1.50") == ["one", "dollar", "fifty", "cents"]
    assert normalise_transcript("£20") == ["twenty", "pounds"]
    assert normalise_transcript("50%") == ["fifty", "percent"]


def test_symbols_become_words():
    assert normalise_transcript("salt & pepper + me @ home") == [
        "salt", "and", "pepper", "plus", "me", "at", "home",
    ]  # fmt: skip


def test_common_abbreviations_are_expanded():
    assert normalise_transcript("Dr. Who met Mr. Smith and Mrs. Jones") == [
        "doctor", "who", "met", "mister", "smith", "and", "missus", "jones",
    ]  # fmt: skip


def test_accents_are_stripped_to_plain_letters():
    assert normalise_transcript("Café naïve Zoë") == ["cafe", "naive", "zoe"]


def test_other_scripts_never_fail_and_kana_becomes_syllables():
    assert normalise_transcript("キャンプ") == ["kiyanhu"]
    assert isinstance(normalise_transcript("真っ昼間なのに 「はい」、。！"), list)
    assert normalise_transcript("...!?;") == []
    assert normalise_transcript("") == []
