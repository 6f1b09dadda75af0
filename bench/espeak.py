"""espeak-ng as a phone-timed synthesiser: libespeak-ng's phoneme events give the exact onset
of every phone it says, so its speech comes with true phone timings instead of aligned ones.

bench/ uses it to transfer phone labels to real speech in other languages (multilingual.py,
languages.py) and training/ to make its synthetic corpus (training/corpus.py); it lives here so
that training depends on bench and never the other way round (docs/ARCHITECTURE.md). The IPA ->
ARPAbet mapping is deliberately independent of core's (core/espeak_phones.py), so a bench that
uses it does not grade core with core's own table.
"""

from __future__ import annotations

import ctypes
import unicodedata

import numpy as np
from scipy.signal import resample_poly

from voxrig.core.config import ANALYSIS_RATE as RATE  # every synthesised utterance's rate
from voxrig.core.names import SILENCE

# --------------------------------------------------------------------------------------------
# IPA phoneme events -> ARPAbet
# --------------------------------------------------------------------------------------------

# Multi-character IPA units, matched greedily before single characters. Values are lists because
# some units (affricates, triphthong-like finals) become two ARPAbet phones of equal length.
_IPA_UNITS: dict[str, list[str]] = {
    # retroflex and aspirated Mandarin (espeak writes `ts.` for zh, `ts.h` for ch, `s.` for sh)
    "ts.h": ["CH"], "ts.": ["CH"], "s.": ["SH"], "z.": ["ZH"], "i.": ["ER"], "tsh": ["T", "S"],
    "tɕh": ["CH"], "tɕʰ": ["CH"], "th": ["T"], "kh": ["K"], "ph": ["P"],
    "tʃ": ["CH"], "dʒ": ["JH"], "tɕ": ["CH"], "dʑ": ["JH"], "ʈʂ": ["CH"], "ɖʐ": ["JH"],
    "ts": ["T", "S"], "dz": ["D", "Z"], "pf": ["P", "F"], "nɡ": ["NG"], "ng": ["NG"],
    # diphthongs
    "aɪ": ["AY"], "ai": ["AY"], "äi": ["AY"], "aʊ": ["AW"], "au": ["AW"], "ɑu": ["AW"],
    "ɑʊ": ["AW"], "eɪ": ["EY"], "ei": ["EY"], "oʊ": ["OW"], "əʊ": ["OW"], "ou": ["OW"],
    "ɔɪ": ["OY"], "ɔi": ["OY"], "oi": ["OY"], "ər": ["ER"], "ɚ": ["ER"], "ɝ": ["ER"],
}  # fmt: skip

# Single IPA letters -> the ARPAbet phone with the closest mouth shape (openness, rounding,
# place of articulation). Diacritics are removed before lookup (NFD), so `ä`, `ɑ̃` work too.
_IPA_CHARS: dict[str, str] = {
    # close vowels
    "i": "IY", "y": "UW", "ɨ": "IH", "ʉ": "UW", "ɯ": "UH", "u": "UW", "ɪ": "IH", "ʏ": "UH",
    "ʊ": "UH", "ᵻ": "IH", "ɩ": "IH",
    # mid vowels
    "e": "EY", "ø": "OW", "ɘ": "AH", "ɵ": "OW", "ɤ": "AH", "o": "OW", "ə": "AH", "ɛ": "EH",
    "œ": "AO", "ɜ": "ER", "ɞ": "AO", "ʌ": "AH", "ɔ": "AO",
    # open vowels
    "æ": "AE", "ɐ": "AH", "a": "AA", "ɶ": "AO", "ɑ": "AA", "ɒ": "AO",
    # stops and nasals
    "p": "P", "b": "B", "t": "T", "d": "D", "ʈ": "T", "ɖ": "D", "c": "K", "ɟ": "G", "k": "K",
    "g": "G", "ɡ": "G", "q": "K", "ɢ": "G", "ʔ": "HH", "m": "M", "ɱ": "M", "n": "N", "ɳ": "N",
    "ɲ": "N", "ŋ": "NG", "ɴ": "NG",
    # trills, taps, fricatives
    "ʙ": "B", "r": "R", "ɾ": "D", "ʀ": "R", "ɽ": "D", "ɸ": "F", "β": "V", "f": "F", "v": "V",
    "θ": "TH", "ð": "DH", "s": "S", "z": "Z", "ʃ": "SH", "ʒ": "ZH", "ʂ": "SH", "ʐ": "ZH",
    "ç": "HH", "ʝ": "Y", "x": "HH", "ɣ": "G", "χ": "HH", "ʁ": "R", "ħ": "HH", "ʕ": "HH",
    "h": "HH", "ɦ": "HH", "ɕ": "SH", "ʑ": "ZH", "ɧ": "SH", "ɬ": "L", "ɮ": "L",
    # approximants
    "ʋ": "V", "ɹ": "R", "ɻ": "R", "j": "Y", "ɰ": "W", "w": "W", "ʍ": "W", "ɥ": "W", "l": "L",
    "ɭ": "L", "ʎ": "L", "ʟ": "L", "ɫ": "L",
    # modifier letters that espeak sometimes emits as a phoneme of their own
    "ʲ": "Y", "ʷ": "W",
}  # fmt: skip

# Marks that only modify the previous letter (length, stress, aspiration, palatalisation...).
_IPA_MODIFIERS = set("ːˑˈˌʰʲʷˠˤ̪̩̯̃ᵝ'.-_|‿͜͡")


def espeak_ipa_to_arpabet(label: str) -> list[str]:
    """One espeak-ng IPA phoneme event (e.g. `aɪ`, `ts.h`, `dʲ`, `ɑ̃`) as ARPAbet phones.

    Empty labels are espeak's pauses and become `sil`; markers like `(en)` give no phone.
    Unknown symbols are skipped; a label with nothing known left becomes `AH` (neutral mouth)."""
    text = unicodedata.normalize("NFC", label.strip())
    if not text:
        return [SILENCE]
    if text.startswith("("):
        return []
    if all(ch in _IPA_MODIFIERS for ch in text):
        return [_IPA_CHARS.get(text[0], SILENCE)] if text[0] in "ʲʷ" else [SILENCE]
    out: list[str] = []
    i = 0
    while i < len(text):
        unit = next((u for u in _longest_first() if text.startswith(u, i)), None)
        if unit is not None:
            out.extend(_IPA_UNITS[unit])
            i += len(unit)
            continue
        ch = text[i]
        i += 1
        if ch in _IPA_MODIFIERS or unicodedata.combining(ch):
            continue
        base = ch if ch in _IPA_CHARS else unicodedata.normalize("NFD", ch)[0]
        if base in _IPA_CHARS:
            out.append(_IPA_CHARS[base])
    merged = [p for k, p in enumerate(out) if k == 0 or p != out[k - 1]]
    return merged or ["AH"]


_UNITS_SORTED: list[str] = sorted(_IPA_UNITS, key=len, reverse=True)


def _longest_first() -> list[str]:
    return _UNITS_SORTED


# --------------------------------------------------------------------------------------------
# The synthesiser: one text -> (16 kHz float audio, [(label, start, end)])
# --------------------------------------------------------------------------------------------

Segment = tuple[np.ndarray, list[tuple[str, float, float]]]


class _EspeakEventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _EspeakEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int), ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p), ("id", _EspeakEventId),
    ]  # fmt: skip


_SYNTH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_EspeakEvent)
)
_EVENT_LIST_TERMINATED, _EVENT_PHONEME = 0, 7
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INIT_PHONEME_EVENTS, _INIT_PHONEME_IPA, _INIT_DONT_EXIT = 0x1, 0x2, 0x8000
_CHARS_UTF8, _ENDPAUSE = 1, 0x1000
_PARAM_RATE, _PARAM_PITCH, _PARAM_RANGE = 1, 3, 4


class Espeak:
    """libespeak-ng in synchronous mode with IPA phoneme events; `sample` gives exact onsets."""

    def __init__(self) -> None:
        self.lib = ctypes.CDLL("libespeak-ng.so.1")
        options = _INIT_PHONEME_EVENTS | _INIT_PHONEME_IPA | _INIT_DONT_EXIT
        self.rate = self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, None, options)
        if self.rate <= 0:
            raise RuntimeError("espeak_Initialize failed")
        self.chunks: list[np.ndarray] = []
        self.events: list[tuple[str, int]] = []
        self.callback = _SYNTH_CALLBACK(self._on_synth)  # keep a reference alive
        self.lib.espeak_SetSynthCallback(self.callback)

    def _on_synth(self, wav, count, events) -> int:  # noqa: ANN001 - ctypes callback
        if count > 0:
            self.chunks.append(np.ctypeslib.as_array(wav, (count,)).copy())
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == _EVENT_PHONEME:
                label = event.id.string.decode("utf-8", errors="ignore")
                self.events.append((label, event.sample))
            i += 1
        return 0

    def say(self, text: str, voice: str, rate: int, pitch: int, prange: int) -> Segment:
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise RuntimeError(f"espeak-ng has no voice {voice}")
        self.lib.espeak_SetParameter(_PARAM_RATE, rate, 0)
        self.lib.espeak_SetParameter(_PARAM_PITCH, pitch, 0)
        self.lib.espeak_SetParameter(_PARAM_RANGE, prange, 0)
        self.chunks, self.events = [], []
        data = text.encode("utf-8")
        flags = _CHARS_UTF8 | _ENDPAUSE
        self.lib.espeak_Synth(data, len(data) + 1, 0, 0, 0, flags, None, None)
        audio = np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.int16)
        duration = len(audio) / self.rate
        phones = []
        onsets = absorb_voiced_pauses(
            [(label, min(sample / self.rate, duration)) for label, sample in self.events],
            audio.astype(np.float32) / 32768.0,
            self.rate,
        )
        for k, (label, start) in enumerate(onsets):
            end = onsets[k + 1][1] if k + 1 < len(onsets) else duration
            phones.extend(split_event(espeak_ipa_to_arpabet(label), start, end))
        return to_16k(audio.astype(np.float32) / 32768.0, self.rate), phones


def absorb_voiced_pauses(
    onsets: list[tuple[str, float]], audio: np.ndarray, rate: int
) -> list[tuple[str, float]]:
    """espeak emits unnamed events both for real pauses and for transitions inside speech (vowel
    hiatus, stop release); an unnamed stretch that is not quiet belongs to the phone before it."""
    duration = len(audio) / rate
    loudness = float(np.mean(audio.astype(np.float64) ** 2)) + 1e-12
    kept: list[tuple[str, float]] = []
    for k, (label, start) in enumerate(onsets):
        end = onsets[k + 1][1] if k + 1 < len(onsets) else duration
        if label.strip() == "" and kept and end > start:
            part = audio[int(start * rate) : int(end * rate)].astype(np.float64)
            if len(part) and float(np.mean(part**2)) > 0.03 * loudness:
                continue
            following = espeak_ipa_to_arpabet(onsets[k + 1][0]) if k + 1 < len(onsets) else []
            if end - start < 0.12 and following and following[0] in _STOPS:
                # a short quiet gap before a stop is that stop's closure (lips shut for P/B)
                onsets[k + 1] = (onsets[k + 1][0], start)
                continue
        kept.append((label, start))
    return kept


_STOPS = frozenset({"P", "B", "T", "D", "K", "G", "CH", "JH"})


def split_event(labels: list[str], start: float, end: float) -> list[tuple[str, float, float]]:
    """Share [start, end] equally between the phones one engine event stands for."""
    if not labels or end <= start:
        return []
    step = (end - start) / len(labels)
    return [(lab, start + k * step, start + (k + 1) * step) for k, lab in enumerate(labels)]


def to_16k(audio: np.ndarray, rate: int) -> np.ndarray:
    """The synthesisers' own rates (espeak 22.05 kHz, flite 8/16 kHz) as the 16 kHz corpus rate."""
    if rate == RATE:
        return audio.astype(np.float32)
    g = np.gcd(rate, RATE)
    return resample_poly(audio, RATE // g, rate // g).astype(np.float32)
