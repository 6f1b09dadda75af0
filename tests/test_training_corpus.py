"""The pure parts of the synthetic corpus recipe: engine phone labels -> ARPAbet, and joining."""

import numpy as np
import pytest

from bench.espeak import absorb_voiced_pauses, espeak_ipa_to_arpabet
from training.corpus import RATE, assemble, festvox_to_arpabet
from voxrig.core.names import ARPABET


@pytest.mark.parametrize(
    ("label", "arpabet"),
    [
        ("pau", "sil"), ("h#", "sil"), ("ax", "AH"), ("axr", "ER"), ("dx", "D"), ("el", "L"),
        ("hh", "HH"), ("ow", "OW"), ("ow1", "OW"), ("zh", "ZH"), ("AY", "AY"), ("xyz", "sil"),
    ],
)  # fmt: skip
def test_festival_and_flite_labels(label: str, arpabet: str) -> None:
    assert festvox_to_arpabet(label) == arpabet


@pytest.mark.parametrize(
    ("label", "arpabet"),
    [
        # English espeak IPA
        ("h", ["HH"]), ("ə", ["AH"]), ("oʊ", ["OW"]), ("ɜː", ["ER"]), ("aɪ", ["AY"]),
        ("dʒ", ["JH"]), ("tʃ", ["CH"]), ("ð", ["DH"]), ("θ", ["TH"]), ("ɹ", ["R"]),
        ("ŋ", ["NG"]), ("ɐ", ["AH"]), ("æ", ["AE"]),
        # Mandarin (cmn-latn-pinyin): retroflex, aspirated, multi-phone finals
        ("ts.", ["CH"]), ("ts.h", ["CH"]), ("s.", ["SH"]), ("ʐ", ["ZH"]), ("i.", ["ER"]),
        ("tɕh", ["CH"]), ("th", ["T"]), ("ɑu", ["AW"]), ("iɛ", ["IY", "EH"]),
        ("onɡ", ["OW", "NG"]), ("ər", ["ER"]), ("y", ["UW"]), ("χ", ["HH"]), ("i̪", ["IY"]),
        # other languages: diacritics, palatalisation, nasal vowels, front rounded vowels
        ("ä", ["AA"]), ("o̞", ["OW"]), ("ɯᵝ", ["UH"]), ("dʲ", ["D"]), ("ʲ", ["Y"]),
        ("ɑ̃", ["AA"]), ("øː", ["OW"]), ("ʁ", ["R"]), ("ɾ", ["D"]), ("ts", ["T", "S"]),
    ],
)  # fmt: skip
def test_espeak_ipa_labels(label: str, arpabet: list[str]) -> None:
    assert espeak_ipa_to_arpabet(label) == arpabet


def test_espeak_pauses_markers_and_unknown_symbols() -> None:
    assert espeak_ipa_to_arpabet("") == ["sil"]
    assert espeak_ipa_to_arpabet("(en)") == []
    assert espeak_ipa_to_arpabet("☃") == ["AH"]  # unknown: neutral vowel, never a crash
    for label in ["ɶ", "ɤ", "ʎ", "ɣ", "ç", "ħ", "ɥ", "ʋ"]:
        assert set(espeak_ipa_to_arpabet(label)) <= ARPABET


def test_loud_unnamed_espeak_event_joins_the_phone_before() -> None:
    rate = 1000
    audio = np.concatenate([np.ones(100), np.ones(50), np.zeros(100), np.ones(100)])
    onsets = [("a", 0.0), ("", 0.1), ("", 0.15), ("m", 0.25)]
    # the loud unnamed stretch (0.10-0.15) is speech; the quiet one (0.15-0.25) a real pause
    assert absorb_voiced_pauses(onsets, audio, rate) == [("a", 0.0), ("", 0.15), ("m", 0.25)]


def test_quiet_gap_before_a_stop_is_its_closure() -> None:
    rate = 1000
    audio = np.concatenate([np.ones(100), np.zeros(60), np.ones(100)])
    onsets = [("a", 0.0), ("", 0.1), ("p", 0.16)]
    assert absorb_voiced_pauses(onsets, audio, rate) == [("a", 0.0), ("p", 0.1)]


def test_assemble_inserts_exact_pauses_and_drops_overlong_tails() -> None:
    one = (np.ones(RATE, np.float32) * 0.1, [("AA", 0.0, 1.0)])
    audio, phones = assemble([one, one], [0.5])
    assert len(audio) == int(2.5 * RATE)
    assert phones == [("AA", 0.0, 1.0), ("sil", 1.0, 1.5), ("AA", 1.5, 2.5)]
    long = (np.ones(7 * RATE, np.float32) * 0.1, [("AA", 0.0, 7.0)])
    audio, phones = assemble([long, long], [0.5])
    assert len(audio) == 7 * RATE and phones == [("AA", 0.0, 7.0)]
