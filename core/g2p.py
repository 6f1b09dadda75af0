"""Pronunciations: ARPAbet phones for any word. Dictionary words come from the CMU
pronouncing dictionary that ships with pocketsphinx; anything else (names, slang, invented
words) gets letter-to-sound rules, so alignment never stops at an unknown word."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import pocketsphinx

from .espeak_phones import is_keyed, pronounce_keyed
from .names import ARPABET

_VOWEL_LETTERS = set("aeiouy")

# Grapheme rules, tried longest first at each position. Each maps letters to phones, with an
# optional condition on what follows ("+V": a vowel letter, "+E": e/i/y, "#": end of word).
_RULES: dict[str, list[tuple[str, str]]] = {
    "tch": [("", "CH")], "sch": [("", "S K")], "igh": [("", "AY")], "ough": [("", "AO")],
    "augh": [("", "AO")], "eigh": [("", "EY")], "tion": [("", "SH AH N")],
    "sion": [("", "ZH AH N")], "ture": [("", "CH ER")], "dge": [("", "JH")],
    "qu": [("", "K W")], "ph": [("", "F")], "sh": [("", "SH")], "ch": [("", "CH")],
    "th": [("", "TH")], "ng": [("", "NG")], "ck": [("", "K")], "wh": [("", "W")],
    "gh": [("#", ""), ("", "G")], "kn": [("", "N")], "wr": [("", "R")], "mb": [("#", "M")],
    "ee": [("", "IY")], "ea": [("", "IY")], "oo": [("", "UW")], "ou": [("", "AW")],
    "ow": [("#", "OW"), ("", "AW")], "oi": [("", "OY")], "oy": [("", "OY")],
    "ai": [("", "EY")], "ay": [("", "EY")], "au": [("", "AO")], "aw": [("", "AO")],
    "ei": [("", "EY")], "ey": [("#", "IY"), ("", "EY")], "ie": [("#", "IY"), ("", "IY")],
    "ue": [("", "UW")], "ew": [("", "UW")], "oa": [("", "OW")], "oe": [("#", "OW")],
    "ar": [("+V", "EH R"), ("", "AA R")], "er": [("+V", "EH R"), ("", "ER")],
    "ir": [("+V", "AY R"), ("", "ER")], "ur": [("+V", "Y UH R"), ("", "ER")],
    "or": [("+V", "AO R"), ("", "AO R")], "zz": [("", "Z")], "ss": [("", "S")],
    "ll": [("", "L")], "ff": [("", "F")], "tt": [("", "T")], "pp": [("", "P")],
    "bb": [("", "B")], "dd": [("", "D")], "gg": [("", "G")], "mm": [("", "M")],
    "nn": [("", "N")], "rr": [("", "R")], "cc": [("+E", "K S"), ("", "K")],
    "a": [("", "AE")], "b": [("", "B")], "c": [("+E", "S"), ("", "K")], "d": [("", "D")],
    "e": [("", "EH")], "f": [("", "F")], "g": [("+E", "JH"), ("", "G")], "h": [("", "HH")],
    "i": [("", "IH")], "j": [("", "JH")], "k": [("", "K")], "l": [("", "L")],
    "m": [("", "M")], "n": [("", "N")], "o": [("", "AA")], "p": [("", "P")],
    "q": [("", "K")], "r": [("", "R")], "s": [("", "S")], "t": [("", "T")],
    "u": [("", "AH")], "v": [("", "V")], "w": [("", "W")], "x": [("", "K S")],
    "y": [("", "IH")], "z": [("", "Z")],
}  # fmt: skip
_LONG_VOWEL = {"a": "EY", "e": "IY", "i": "AY", "o": "OW", "u": "UW", "y": "AY"}
_MAX_GRAPHEME = max(len(g) for g in _RULES)


@lru_cache(maxsize=1)
def _dictionary() -> dict[str, list[str]]:
    """First pronunciation of every word in pocketsphinx's CMUdict (stress-free)."""
    path = pocketsphinx.get_model_path("en-us/cmudict-en-us.dict")
    entries: dict[str, list[str]] = {}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            word, _, phones = line.strip().partition(" ")
            if word and "(" not in word:
                entries[word] = phones.split()
    return entries


def _condition_holds(condition: str, rest: str) -> bool:
    if condition == "+V":
        return rest[:1] in _VOWEL_LETTERS
    if condition == "+E":
        return rest[:1] in ("e", "i", "y")
    if condition == "#":
        return rest == ""
    return True


def _magic_e(letters: str, i: int) -> bool:
    """A single vowel letter before one consonant and a final silent 'e' is long (make, bike)."""
    tail = letters[i + 1 :]
    return (
        len(tail) == 2 and tail[0] not in _VOWEL_LETTERS and tail[1] == "e" and tail[0] != "r"
    )


def letter_to_sound(word: str) -> list[str]:
    """Rule-based pronunciation for words no dictionary knows. Approximate by design: it only
    has to be close enough for the aligner to place the word's sounds."""
    letters = re.sub(r"[^a-z]", "", word.lower())
    phones: list[str] = []
    i = 0
    while i < len(letters):
        rest_of_word = letters[i:]
        if rest_of_word == "e" and phones and i > 1:  # final silent e
            break
        if rest_of_word in ("es", "ed") and len(letters) > 3 and i > 2:
            prev = letters[i - 1]
            if rest_of_word == "ed":
                phones += ["IH", "D"] if prev in "td" else (["T"] if prev in "pkfsx" else ["D"])
            else:
                phones += ["IH", "Z"] if prev in "sxzh" else ["Z"]
            break
        if letters[i] in _LONG_VOWEL and _magic_e(letters, i) and i > 0:
            phones.append(_LONG_VOWEL[letters[i]])
            i += 1
            continue
        if letters[i] == "y" and i == 0:
            phones.append("Y")
            i += 1
            continue
        if letters[i] == "y" and i == len(letters) - 1 and i > 0:
            phones.append("IY" if len(letters) > 3 else "AY")
            i += 1
            continue
        for size in range(min(_MAX_GRAPHEME, len(rest_of_word)), 0, -1):
            grapheme = rest_of_word[:size]
            rules = _RULES.get(grapheme)
            if not rules:
                continue
            after = rest_of_word[size:]
            for condition, output in rules:
                if _condition_holds(condition, after):
                    phones += output.split()
                    break
            else:
                continue
            i += size
            break
        else:
            i += 1
    if not phones and letters:
        phones = ["AH"]  # a lone silent letter, e.g. "e": say something rather than nothing
    return [p for p in phones if p in ARPABET]


Lookup = Callable[[str], "list[str] | None"]


def dictionary_lookup(word: str) -> list[str] | None:
    return _dictionary().get(word)


def pronounce(word: str, lookup: Lookup = dictionary_lookup) -> list[str]:
    """ARPAbet phones (no stress) for a word: the dictionary's first pronunciation when there is
    one, otherwise letter-to-sound rules. Empty only for a word without letters. A word of
    another language (`surface@language`, see espeak_phones) gets espeak-ng's phones.
    `lookup` is the dictionary: the aligner passes its decoder's, which holds the same
    CMUdict already loaded (reading it again costs half a second)."""
    if is_keyed(word):
        return pronounce_keyed(word)
    key = word.lower().strip("'")
    found = lookup(key)
    if found:
        return list(found)
    if "'" in key:  # contractions and possessives the dictionary lacks: name's, o'neill
        base, _, suffix = key.partition("'")
        head = lookup(base) or letter_to_sound(base)
        if suffix == "s":
            return head + (["IH", "Z"] if head and head[-1] in ("S", "Z", "SH", "CH", "JH")
                           else ["Z"])  # fmt: skip
        return head + letter_to_sound(suffix)
    return letter_to_sound(key)
