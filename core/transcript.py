"""Transcript normalisation: turn what a user typed into the lower-case words a pronouncing
dictionary can look up, so the aligner sees the words that are actually spoken."""

from __future__ import annotations

import re
import unicodedata

_ONES = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
]  # fmt: skip
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_ORDINAL_WORDS = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
    "nine": "ninth", "twelve": "twelfth",
}  # fmt: skip

_ABBREVIATIONS = {
    "mr": "mister", "mrs": "missus", "ms": "miz", "dr": "doctor", "st": "saint",
    "prof": "professor", "jr": "junior", "sr": "senior", "vs": "versus", "etc": "et cetera",
    "mt": "mount", "capt": "captain", "col": "colonel", "gen": "general", "lt": "lieutenant",
    "sgt": "sergeant", "gov": "governor", "no": "number", "approx": "approximately",
}  # fmt: skip
_SYMBOLS = {
    "&": " and ", "+": " plus ", "@": " at ", "%": " percent ", "=": " equals ",
    "#": " number ", "°": " degrees ", "×": " times ", "/": " ", "\\": " ",
}  # fmt: skip
_CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"), "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"), "¥": ("yen", "yen", "sen", "sen"),
}  # fmt: skip
_APOSTROPHES = "\u2019\u2018\u02bc\u0060\u00b4"
_TAG = re.compile(r"\[[^\]]*\]")
_CURRENCY = re.compile(r"([$£€¥])\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?\b")
_ORDINAL = re.compile(r"\b(\d+)(st|nd|rd|th)\b", re.IGNORECASE)
_DECIMAL = re.compile(r"(?<![\d.])(\d+)\.(\d+)\b")
_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?!\d)|\d+")
_ABBREV = re.compile(r"\b(" + "|".join(_ABBREVIATIONS) + r")\.", re.IGNORECASE)


def number_words(n: int) -> str:
    """Cardinal number in words, e.g. 1234 -> 'one thousand two hundred thirty four'."""
    if n < 0:
        return "minus " + number_words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, rest = divmod(n, 10)
        return _TENS[tens] + ("" if rest == 0 else " " + _ONES[rest])
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return _ONES[hundreds] + " hundred" + ("" if rest == 0 else " " + number_words(rest))
    for scale, name in _SCALES:
        if n >= scale:
            high, rest = divmod(n, scale)
            return number_words(high) + " " + name + ("" if rest == 0 else " " + number_words(rest))
    raise AssertionError("unreachable")


def year_words(n: int) -> str:
    """How four-digit years are read: 1999 -> 'nineteen ninety nine', 1905 -> 'nineteen oh five'."""
    high, low = divmod(n, 100)
    if low == 0:
        return number_words(high) + " hundred"
    return number_words(high) + " " + ("oh " + _ONES[low] if low < 10 else number_words(low))


def ordinal_words(n: int) -> str:
    words = number_words(n).split()
    last = words[-1]
    if last in _ORDINAL_WORDS:
        words[-1] = _ORDINAL_WORDS[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def _integer_words(digits: str) -> str:
    plain = digits.replace(",", "")
    if not plain:
        return " "
    n = int(plain)
    grouped = "," in digits
    if not grouped and len(plain) == 4 and (1100 <= n <= 1999 or 2010 <= n <= 2099):
        return year_words(n)
    if not grouped and len(plain) > 1 and plain.startswith("0"):
        return " ".join(_ONES[int(d)] for d in plain)  # codes and phone numbers: digit by digit
    return number_words(n)


def _currency(match: re.Match[str]) -> str:
    one, many, sub_one, sub_many = _CURRENCIES[match.group(1)]
    whole = int(match.group(2).replace(",", ""))
    text = _integer_words(match.group(2)) + " " + (one if whole == 1 else many)
    if match.group(3):
        sub = int(match.group(3).ljust(2, "0"))
        if sub:
            text += " " + number_words(sub) + " " + (sub_one if sub == 1 else sub_many)
    return " " + text + " "


def _transliterate(char: str) -> str:
    """Letters of other scripts become the syllable their Unicode name gives (kana, Devanagari,
    Cyrillic, Hangul...), so a foreign transcript still yields something pronounceable."""
    name = unicodedata.name(char, "")
    last = name.split()[-1] if name else ""
    if ("LETTER" in name or "SYLLABLE" in name) and last.isalpha() and len(last) <= 4:
        return last.lower()
    return " "


def _strip_accents(text: str) -> str:
    out = []
    for char in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(char):
            continue
        if char.isalpha() and not char.isascii():
            out.append(_transliterate(char))
        else:
            out.append(char)
    return "".join(out)


def strip_tags(text: str) -> str:
    """The transcript without inline tags such as `[happy]` (they are for the face)."""
    return _TAG.sub(" ", text)


def normalise_transcript(text: str) -> list[str]:
    """Lower-case dictionary words as they would be spoken. Inline tags such as `[happy]` are
    removed; numbers, currency, percentages, ordinals, symbols and common abbreviations are
    spelled out; hyphenated words are split; word-internal apostrophes are kept."""
    text = _TAG.sub(" ", unicodedata.normalize("NFKC", text))
    for char in _APOSTROPHES:
        text = text.replace(char, "'")
    text = _ABBREV.sub(lambda m: " " + _ABBREVIATIONS[m.group(1).lower()] + " ", text)
    text = _CURRENCY.sub(_currency, text)
    text = re.sub(r"(\d)\s?%", r"\1 percent ", text)
    text = _ORDINAL.sub(lambda m: " " + ordinal_words(int(m.group(1))) + " ", text)
    text = _DECIMAL.sub(
        lambda m: " " + _integer_words(m.group(1)) + " point "
        + " ".join(_ONES[int(d)] for d in m.group(2)) + " ",
        text,
    )  # fmt: skip
    text = _NUMBER.sub(lambda m: " " + _integer_words(m.group(0)) + " ", text)
    for symbol, words in _SYMBOLS.items():
        text = text.replace(symbol, words)
    text = _strip_accents(text).lower()
    words = []
    for token in re.split(r"[^a-z']+", text):
        token = re.sub(r"'{2,}", "'", token).strip("'")
        if token:
            words.append(token)
    return words
