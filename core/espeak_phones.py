"""Pronunciations for transcripts in other languages than English, from espeak-ng.

The aligner's acoustic model is English (pocketsphinx en-us), but the mouth cares about what
every language shares: how open a vowel is, whether it is rounded, where the lips close and
where the teeth meet the lip. So a word of another language gets its phones from espeak-ng
(IPA, via libespeak-ng's `espeak_TextToPhonemes`), mapped to the ARPAbet phones with the
nearest mouth shape, and the English model places those. espeak-ng is GPL-3: it stays an
optional system library (Debian `libespeak-ng1`), loaded by ctypes only when a non-English
transcript is given; it is never bundled or a pip dependency.

Words reach the aligner as keys `surface@language` (`keyed`), so they never collide with the
English dictionary's words; `pronounce_keyed` gives their phones and `surface` the written word.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import re
import unicodedata
from functools import lru_cache

from .errors import VoxrigError
from .names import ARPABET

# ----------------------------------------------------------------------------- languages

# Codes that mean English: those transcripts keep the English path (CMUdict, letter-to-sound).
ENGLISH = frozenset({"en", "en-us", "en-gb", "eng", "english", "en_us", "en_gb"})
AUTO = "auto"
# espeak-ng voices for codes whose plain name reads the script wrongly: Debian's `cmn` voice
# reads Han characters as pinyin spelt in English; `cmn-latn-pinyin` reads the same pinyin
# as Mandarin.
_VOICES = {"cmn": "cmn-latn-pinyin", "zh": "cmn-latn-pinyin", "zh-cn": "cmn-latn-pinyin",
           "zh-cmn": "cmn-latn-pinyin", "mandarin": "cmn-latn-pinyin"}  # fmt: skip
_CODES = {"zh": "cmn", "zh-cn": "cmn", "zh-cmn": "cmn", "mandarin": "cmn"}
TONAL = frozenset({"cmn", "yue", "hak", "th", "vi"})  # espeak writes tones after vowels
KEY_MARK = "@"  # surface@language: an aligner word of another language

# Scripts that tell the language (Latin-script languages cannot be told apart: --language).
_SCRIPTS: tuple[tuple[str, tuple[tuple[int, int], ...]], ...] = (
    ("kana", ((0x3040, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F))),
    ("han", ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F))),
    ("hangul", ((0x1100, 0x11FF), (0x3130, 0x318F), (0xAC00, 0xD7AF))),
    ("cyrillic", ((0x0400, 0x052F),)),
    ("devanagari", ((0x0900, 0x097F),)),
    ("arabic", ((0x0600, 0x06FF), (0x0750, 0x077F), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))),
    ("greek", ((0x0370, 0x03FF), (0x1F00, 0x1FFF))),
    ("hebrew", ((0x0590, 0x05FF),)),
    ("thai", ((0x0E00, 0x0E7F),)),
)
SCRIPT_LANGUAGES = {"kana": "ja", "han": "cmn", "hangul": "ko", "cyrillic": "ru",
                    "devanagari": "hi", "arabic": "ar", "greek": "el", "hebrew": "he",
                    "thai": "th"}  # fmt: skip
_UNSPACED = frozenset({"han", "kana", "thai"})  # scripts written without spaces between words


def script_of(char: str) -> str | None:
    """The script of one character among those that tell a language, "latin", or None."""
    code = ord(char)
    for name, ranges in _SCRIPTS:
        if any(lo <= code <= hi for lo, hi in ranges):
            return name
    if char.isalpha() and "LATIN" in unicodedata.name(char, ""):
        return "latin"
    return None


def detect_language(text: str) -> str | None:
    """The language a transcript's script says (Han -> cmn, kana -> ja, Hangul -> ko, ...), or
    None when most of its letters are Latin (English or a language only --language names)."""
    counts: dict[str, int] = {}
    for char in text:
        script = script_of(char)
        if script is not None:
            counts[script] = counts.get(script, 0) + 1
    if not counts:
        return None
    if counts.get("kana"):  # Japanese mixes kanji and kana; Chinese has no kana
        counts["kana"] += counts.pop("han", 0)
    script = max(counts, key=lambda s: counts[s])
    return SCRIPT_LANGUAGES.get(script)


def canonical(code: str) -> str:
    """A language code as voxrig names it (lower case, `zh` -> `cmn`)."""
    code = code.strip().lower().replace("_", "-")
    return _CODES.get(code, code)


def is_english(code: str | None) -> bool:
    return code is None or canonical(code) in ENGLISH or canonical(code).startswith("en-")


# ------------------------------------------------------------------------- libespeak-ng

MISSING = ("transcripts in other languages than English need espeak-ng, which is not "
           "installed (Debian: apt-get install libespeak-ng1)")  # fmt: skip
_LIBRARY = "libespeak-ng.so.1"  # the soname, when ldconfig's cache does not list it
_AUDIO_OUTPUT_SYNCHRONOUS = 2
# Phoneme events and IPA are asked for too, so that a process that also synthesises with
# libespeak-ng (the training corpus, the bench) keeps them after this initialisation.
_INIT_OPTIONS = 0x1 | 0x2 | 0x8000  # phoneme events, IPA events, do not exit on error
_CHARS_UTF8 = 1
_PHONEMES_IPA = 0x02
_SEPARATOR = "_"
_PHONEME_MODE = _PHONEMES_IPA | (ord(_SEPARATOR) << 8)  # IPA, phonemes separated by "_"


class _Espeak:
    """The few libespeak-ng calls needed to turn text into IPA phonemes."""

    def __init__(self) -> None:
        name = ctypes.util.find_library("espeak-ng") or _LIBRARY
        try:
            self.lib = ctypes.CDLL(name)
        except OSError as exc:
            raise VoxrigError(MISSING) from exc
        self.lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        self.lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_void_p),
                                                   ctypes.c_int, ctypes.c_int]  # fmt: skip
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        if self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, None, _INIT_OPTIONS) <= 0:
            raise VoxrigError(MISSING + ": espeak-ng could not start (its data is missing?)")
        self.voice: str | None = None

    def has_voice(self, voice: str) -> bool:
        if voice == self.voice:
            return True
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            return False
        self.voice = voice
        return True

    def phonemes(self, text: str, voice: str) -> list[str]:
        """IPA phonemes of the text, one string each (stress and tone marks attached)."""
        if not self.has_voice(voice):
            raise UnknownLanguage(voice)
        data = ctypes.create_string_buffer(text.encode("utf-8"))
        pointer = ctypes.c_void_p(ctypes.addressof(data))
        out: list[str] = []
        while pointer.value:
            clause = self.lib.espeak_TextToPhonemes(ctypes.byref(pointer), _CHARS_UTF8,
                                                    _PHONEME_MODE)  # fmt: skip
            if clause:
                text_out = re.sub(r"\([a-z-]+\)", " ", clause.decode("utf-8", "ignore"))
                out += [p for word in text_out.split() for p in word.split(_SEPARATOR) if p]
        return out


class UnknownLanguage(Exception):
    """espeak-ng has no voice for the language."""


_ENGINE: _Espeak | None = None


def _engine() -> _Espeak:
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = _Espeak()
    return _ENGINE


def voice_for(language: str) -> str:
    code = canonical(language)
    return _VOICES.get(code, code)


def speaks(language: str) -> bool:
    """Whether espeak-ng has a voice for the language (raises VoxrigError without espeak-ng)."""
    return _engine().has_voice(voice_for(language))


# ---------------------------------------------------------------------- IPA -> ARPAbet

# One espeak phoneme (stress, length and tone marks removed) -> the ARPAbet phones with the
# nearest mouth shape: vowel openness and rounding, closures, lip-teeth contact. Looked up
# whole first, then with its diacritics removed, then letter by letter.
IPA_TO_ARPABET: dict[str, tuple[str, ...]] = {
    # close vowels: spread i, rounded front y (lips round like u), central and back
    "i": ("IY",), "ɪ": ("IH",), "ɨ": ("IH",), "ᵻ": ("IH",), "y": ("UW",), "ʏ": ("UH",),
    "ʉ": ("UW",), "u": ("UW",), "ʊ": ("UH",), "ɯ": ("UH",), "ɯᵝ": ("UH",), "ɿ": ("IH",),
    # mid vowels
    "e": ("EY",), "ɛ": ("EH",), "ə": ("AH",), "ɘ": ("AH",), "ɵ": ("OW",), "ø": ("OW",),
    "œ": ("AO",), "ɜ": ("ER",), "ɞ": ("AO",), "ʌ": ("AH",), "ɤ": ("AH",), "o": ("OW",),
    "ɔ": ("AO",), "ɚ": ("ER",), "ɝ": ("ER",), "ɐ": ("AH",), "æ": ("AE",),
    # open vowels
    "a": ("AA",), "ä": ("AA",), "ɑ": ("AA",), "ɒ": ("AO",), "ɶ": ("AO",),
    # diphthongs and vowel sequences espeak names as one phoneme
    "aɪ": ("AY",), "ai": ("AY",), "aj": ("AY",), "ɑɪ": ("AY",), "ɑi": ("AY",),
    "aʊ": ("AW",), "au": ("AW",), "ɑu": ("AW",), "ɑʊ": ("AW",), "aw": ("AW",),
    "eɪ": ("EY",), "ei": ("EY",), "ej": ("EY",), "ɛɪ": ("EY",), "ɛi": ("EY",),
    "oʊ": ("OW",), "ou": ("OW",), "əʊ": ("OW",), "əu": ("OW",), "ow": ("OW",),
    "ɔɪ": ("OY",), "ɔi": ("OY",), "oi": ("OY",), "oɪ": ("OY",), "ɔj": ("OY",),
    "ʌɪ": ("AY",), "ɐɪ": ("AY",), "ɐʊ": ("AW",), "øy": ("OW", "UW"), "œy": ("AO", "UW"),
    "ɔʏ": ("OY",), "ɔø": ("OY",), "iə": ("IY", "AH"), "ʊə": ("UH", "AH"), "eə": ("EH", "AH"),
    "ɪə": ("IH", "AH"), "iɛ": ("IY", "EH"), "ie": ("IY", "EH"), "ia": ("IY", "AA"),
    "ua": ("UW", "AA"), "uo": ("UW", "OW"), "uə": ("UW", "AH"), "yɛ": ("UW", "EH"),
    "ye": ("UW", "EH"), "yə": ("UW", "AH"), "iu": ("IY", "UW"), "io": ("IY", "OW"),
    "ui": ("UW", "IY"), "uei": ("UW", "EY"), "uai": ("UW", "AY"), "iou": ("IY", "OW"),
    "iau": ("IY", "AW"), "uɑ": ("UW", "AA"), "ɑo": ("AW",), "ɤʊ": ("OW",), "əɜ": ("ER",),
    "ər": ("ER",), "ɜː": ("ER",), "ɛə": ("EH", "AH"), "ɔə": ("AO", "AH"), "ɯi": ("UH", "IY"),
    "oe": ("OW", "EH"), "ea": ("EH", "AA"), "oa": ("OW", "AA"), "ɪi": ("IY",),
    # stops, nasals (aspiration and palatalisation change no mouth shape)
    "p": ("P",), "b": ("B",), "t": ("T",), "d": ("D",), "ʈ": ("T",), "ɖ": ("D",), "c": ("K",),
    "ɟ": ("G",), "k": ("K",), "g": ("G",), "ɡ": ("G",), "q": ("K",), "ɢ": ("G",),
    "ʔ": ("HH",), "m": ("M",), "ɱ": ("M",), "n": ("N",), "ɳ": ("N",), "ɲ": ("N",),
    "ŋ": ("NG",), "ɴ": ("NG",), "th": ("T",), "kh": ("K",), "ph": ("P",), "ch": ("CH",),
    "ɓ": ("B",), "ɗ": ("D",), "ʄ": ("G",), "ɠ": ("G",), "nj": ("N", "Y"),
    # affricates: CH/JH round and protrude the lips as English ch does; ts, dz as two phones
    "tʃ": ("CH",), "dʒ": ("JH",), "tɕ": ("CH",), "dʑ": ("JH",), "tɕh": ("CH",),
    "ʈʂ": ("CH",), "ɖʐ": ("JH",), "ts.": ("CH",), "ts.h": ("CH",), "ts": ("T", "S"),
    "tsh": ("T", "S"), "dz": ("D", "Z"), "pf": ("P", "F"), "tɬ": ("T", "L"), "ʈʂh": ("CH",),
    "tʂ": ("CH",), "dʐ": ("JH",), "s.": ("SH",), "z.": ("ZH",), "i.": ("ER",), "ɹ.": ("R",),
    # trills, taps, fricatives
    "r": ("R",), "ɾ": ("D",), "ɽ": ("D",), "ʀ": ("R",), "ʁ": ("R",), "ɹ": ("R",), "ɻ": ("R",),
    "ɺ": ("L",), "ʙ": ("B",), "ɸ": ("F",), "β": ("V",), "f": ("F",), "v": ("V",),
    "ʋ": ("V",), "θ": ("TH",), "ð": ("DH",), "s": ("S",), "z": ("Z",), "ʃ": ("SH",),
    "ʒ": ("ZH",), "ʂ": ("SH",), "ʐ": ("ZH",), "ɕ": ("SH",), "ʑ": ("ZH",), "ɧ": ("SH",),
    "ç": ("HH",), "ʝ": ("Y",), "x": ("HH",), "ɣ": ("G",), "χ": ("HH",), "ħ": ("HH",),
    "ʕ": ("HH",), "h": ("HH",), "ɦ": ("HH",), "ɬ": ("L",), "ɮ": ("L",), "ʍ": ("W",),
    "ʜ": ("HH",), "ʢ": ("HH",), "ɰ": ("W",),
    # approximants and laterals
    "j": ("Y",), "w": ("W",), "ɥ": ("W",), "l": ("L",), "ɫ": ("L",), "ɭ": ("L",),
    "ʎ": ("L",), "ʟ": ("L",), "ʲ": ("Y",), "ʷ": ("W",),
}  # fmt: skip

# Marks that change no mouth shape: stress, length, syllabicity, ties, nasalisation...
_IGNORED = set("ˈˌːˑ'.‿͜͡-|ʰˠˤ̥̬̤̰̼̪̺̻̹̜̟̠̝̞̘̙̩̯̃̈̆̊˞")
_TONES = set("0123456789˥˦˧˨˩")
_LONGEST = max(len(k) for k in IPA_TO_ARPABET)


def _clean(phoneme: str, language: str) -> str:
    text = unicodedata.normalize("NFC", phoneme.strip())
    text = "".join(ch for ch in text if ch not in _TONES and ch not in "ˈˌːˑ")
    if canonical(language) in TONAL and len(text) > 1 and text.endswith("ɜ"):
        text = text[:-1]  # tone 3 is written ɜ after the vowel in the tonal languages
    return text


def ipa_to_arpabet(phoneme: str, language: str = "") -> tuple[str, ...] | None:
    """ARPAbet phones for one espeak-ng IPA phoneme; () for a mark with no mouth shape, None
    when some letter of it is not in the table (tests require that no emitted phoneme is)."""
    text = _clean(phoneme, language)
    if not text:
        return ()
    for form in (text, _bare(text)):
        if form in IPA_TO_ARPABET:
            return IPA_TO_ARPABET[form]
    out: list[str] = []
    bare, i = _bare(text), 0
    while i < len(bare):
        for size in range(min(_LONGEST, len(bare) - i), 0, -1):
            piece = bare[i : i + size]
            if piece in IPA_TO_ARPABET:
                out += IPA_TO_ARPABET[piece]
                i += size
                break
        else:
            if bare[i] not in _IGNORED:
                return None
            i += 1
    return tuple(out)


def _bare(text: str) -> str:
    """The letters of a phoneme without diacritics (ä keeps its own entry above)."""
    if text in IPA_TO_ARPABET:
        return text
    out = []
    for ch in text:
        if ch in IPA_TO_ARPABET:
            out.append(ch)
            continue
        base = unicodedata.normalize("NFD", ch)
        out.append("".join(c for c in base if not unicodedata.combining(c)
                           and c not in _IGNORED))  # fmt: skip
    return "".join(out)


def arpabet(phonemes: list[str], language: str = "") -> list[str]:
    """ARPAbet phones for espeak phonemes; letters not in the table are skipped, and a
    phone repeated across a boundary (n_n) is one phone: the mouth makes it once."""
    out: list[str] = []
    for phoneme in phonemes:
        for phone in ipa_to_arpabet(phoneme, language) or ():
            if phone in ARPABET and (not out or out[-1] != phone):
                out.append(phone)
    return out


# ----------------------------------------------------------------------------- words

_KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆]")
KAKASI_MISSING = ("kanji in a Japanese transcript need pykakasi (pip install pykakasi, also "
                  "in the voxrig[bench] extra); or write the transcript in kana")  # fmt: skip


def _kana(text: str, required: bool = True) -> list[tuple[str, str]] | None:
    """(written, kana reading) segments of Japanese text (pykakasi, lazily): words, and the
    readings of kanji. Without pykakasi: None, or for kanji (`required`) a VoxrigError."""
    try:
        import pykakasi
    except ImportError as exc:
        if not required:
            return None
        raise VoxrigError(KAKASI_MISSING) from exc
    return [(part["orig"], part["hira"]) for part in pykakasi.kakasi().convert(text)]


def _letters_only(token: str) -> str:
    """A token without punctuation and symbols (apostrophes and hyphens inside a word stay)."""
    kept = "".join(ch for ch in token
                   if not unicodedata.category(ch).startswith(("P", "S")) or ch in "'-")
    return kept.strip("'-")  # fmt: skip


def _split_unspaced(token: str) -> list[str]:
    """Han characters one by one (a character is a syllable, and Debian's espeak-ng reads
    single characters reliably), runs of kana or Thai whole, at script changes."""
    parts: list[str] = []
    previous = None
    for char in token:
        script = script_of(char) or "other"
        if script == "kana":  # hiragana and katakana runs are separate words
            script = "katakana" if 0x30A0 <= ord(char) <= 0x30FF else "hiragana"
        if script == "han" or not parts or script != previous:
            parts.append(char)
        else:
            parts[-1] += char
        previous = script
    return parts


def surface_words(text: str, language: str) -> list[str]:
    """The transcript's words as written, in order: space-separated words, with Han
    characters one by one and kana and Thai runs split where the script changes (Japanese:
    pykakasi's words, when it is installed)."""
    code = canonical(language)
    text = unicodedata.normalize("NFKC", text)
    segments = _kana(text, required=bool(_KANJI.search(text))) if code == "ja" else None
    if segments is not None:
        pieces = [orig for orig, _ in segments]
        return [w for piece in pieces for w in (_letters_only(t) for t in piece.split()) if w]
    words: list[str] = []
    for raw in re.split(r"\s+|[、。，！？「」『』（）・…]", text):
        token = _letters_only(raw)
        if not token:
            continue
        if any(script_of(c) in _UNSPACED for c in token):
            words += [w for w in _split_unspaced(token) if _letters_only(w)]
        else:
            words.append(token.lower())
    return words


@lru_cache(maxsize=20000)
def word_phonemes(word: str, language: str) -> tuple[str, ...]:
    """espeak-ng's IPA phonemes for one written word (kanji read with pykakasi first)."""
    code = canonical(language)
    said = word
    if code == "ja" and _KANJI.search(word):
        said = "".join(kana for _, kana in _kana(word))
    return tuple(_engine().phonemes(said, voice_for(code)))


def keyed(word: str, language: str) -> str:
    """The aligner's name for a word of another language: never an English dictionary word."""
    return f"{word}{KEY_MARK}{canonical(language)}"


def surface(key: str) -> str:
    """The written word of an aligner key (an English word is its own key)."""
    word, mark, language = key.rpartition(KEY_MARK)
    return word if mark and word and language else key


def is_keyed(word: str) -> bool:
    word_part, mark, language = word.rpartition(KEY_MARK)
    return bool(mark and word_part and language)


def pronounce_keyed(key: str) -> list[str]:
    """ARPAbet phones of `surface@language` from espeak-ng."""
    word, _, language = key.rpartition(KEY_MARK)
    return arpabet(list(word_phonemes(word, language)), language)


def transcript_keys(text: str, language: str) -> list[str]:
    """The aligner's words for a transcript in another language: keys of the words espeak-ng
    gives phones to. Raises UnknownLanguage when espeak-ng has no voice for it, VoxrigError
    when espeak-ng (or, for kanji, pykakasi) is missing."""
    if not speaks(language):
        raise UnknownLanguage(language)
    return [keyed(w, language) for w in surface_words(text, language)
            if pronounce_keyed(keyed(w, language))]  # fmt: skip
