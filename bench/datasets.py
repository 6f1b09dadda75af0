"""Loaders for the measuring data in ../shared/data: English clips with reference phone tiers
(the event-score set), FACEGOOD artist animation retargeted to ARKit-52 (the r_gap set), and
LJSpeech clips with transcripts (extra speech without phone tiers)."""

from __future__ import annotations

import csv
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voxrig.core.names import ARKIT52, ARKIT_INDEX, SILENCE
from voxrig.core.phones import Phone, PhoneTimeline, Word, contiguous, normalise_label

REPO_ROOT = Path(__file__).resolve().parents[1]


def data_root() -> Path:
    """`$VOXRIG_DATA`, else the shared data folder beside the repository (as CI lays it out)."""
    env = os.environ.get("VOXRIG_DATA")
    if env:
        return Path(env)
    return REPO_ROOT.parent / "shared" / "data"


# ---------------------------------------------------------------------------------------------
# Data classes


@dataclass(frozen=True)
class PhoneClip:
    """English speech with a reference phone tier: the event-score evaluation set."""

    name: str
    audio: Path
    transcript: str
    phones: list[Phone]  # contiguous, ARPAbet without stress or "sil", covering [0, duration]
    duration: float
    words: list[Word]

    def timeline(self) -> PhoneTimeline:
        return PhoneTimeline(list(self.phones), self.duration, "reference", list(self.words))


@dataclass(frozen=True)
class FacegoodClip:
    """Mandarin speech with artist-animated weights retargeted to ARKit-52."""

    name: str
    audio: Path
    weights: np.ndarray  # (T, 52) float32 in [0, 1], ARKIT52 order
    fps: float = 30.0

    @property
    def duration(self) -> float:
        return self.weights.shape[0] / self.fps


@dataclass(frozen=True)
class TranscribedClip:
    """Speech with its transcript but no phone timings."""

    name: str
    audio: Path
    transcript: str


# ---------------------------------------------------------------------------------------------
# Praat TextGrid (long "ooTextFile" and short formats)


@dataclass(frozen=True)
class Tier:
    name: str
    kind: str  # "IntervalTier" or "TextTier"
    # intervals: (start, end, text); points: (time, time, text)
    entries: list[tuple[float, float, str]]


_TOKEN = re.compile(r'"((?:[^"]|"")*)"|([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)|(<exists>|<absent>)')


def _tokens(text: str) -> list[str | float]:
    """The values of a TextGrid in file order. Both formats hold the same sequence of strings
    and numbers; the long format merely labels them (`xmin = `), and labels are never quoted
    or numeric once `name = value` pairs are reduced to their values."""
    out: list[str | float] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        # In the long format drop the "key =" / "key [n]:" part, keep only the value.
        if "=" in stripped and not stripped.startswith('"'):
            stripped = stripped.split("=", 1)[1].strip()
        elif stripped.endswith(":") or stripped.startswith(("item", "intervals", "points")):
            continue
        for m in _TOKEN.finditer(stripped):
            if m.group(1) is not None:
                out.append(m.group(1).replace('""', '"'))
            elif m.group(2) is not None:
                out.append(float(m.group(2)))
            else:
                out.append(m.group(3))
    return out


def parse_textgrid(text: str) -> list[Tier]:
    """Parse a Praat TextGrid (long or short text format) into its tiers."""
    tokens = _tokens(text.lstrip("\ufeff"))
    if len(tokens) < 2 or tokens[0] != "ooTextFile" or tokens[1] != "TextGrid":
        raise ValueError("not a Praat TextGrid text file")
    pos = 2
    pos += 2  # xmin, xmax
    if tokens[pos] != "<exists>":
        return []
    pos += 1
    n_tiers = int(tokens[pos])
    pos += 1
    tiers: list[Tier] = []
    for _ in range(n_tiers):
        kind, name = str(tokens[pos]), str(tokens[pos + 1])
        pos += 4  # class, name, xmin, xmax
        count = int(tokens[pos])
        pos += 1
        entries: list[tuple[float, float, str]] = []
        for _ in range(count):
            if kind == "IntervalTier":
                start, end, label = tokens[pos : pos + 3]
                pos += 3
            else:
                start, label = tokens[pos : pos + 2]
                end = start
                pos += 2
            entries.append((float(start), float(end), str(label)))
        tiers.append(Tier(name=name, kind=kind, entries=entries))
    return tiers


def read_textgrid(path: Path) -> dict[str, Tier]:
    """Tiers of a TextGrid file by name (UTF-8, UTF-16 with BOM, or Latin-1)."""
    raw = Path(path).read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = raw.decode("utf-16")
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
    return {tier.name: tier for tier in parse_textgrid(text)}


# ---------------------------------------------------------------------------------------------
# Phone labels

# Broad IPA -> ARPAbet for tiers written in IPA (praatio's mary.TextGrid).
IPA_TO_ARPABET: dict[str, str] = {
    "ɑ": "AA", "a": "AA", "æ": "AE", "ʌ": "AH", "ə": "AH", "ɔ": "AO", "aʊ": "AW", "aɪ": "AY",
    "ɛ": "EH", "ɝ": "ER", "ɚ": "ER", "eɪ": "EY", "e": "EY", "ɪ": "IH", "i": "IY", "oʊ": "OW",
    "o": "OW", "ɔɪ": "OY", "ʊ": "UH", "u": "UW",
    # mary.TextGrid writes the vowel of "barrel" as œ; CMUdict gives B AE1 R AH0 L.
    "œ": "AE",
    "b": "B", "tʃ": "CH", "d": "D", "ð": "DH", "f": "F", "g": "G", "ɡ": "G", "h": "HH",
    "dʒ": "JH", "k": "K", "l": "L", "m": "M", "n": "N", "ŋ": "NG", "p": "P", "r": "R",
    "ɹ": "R", "s": "S", "ʃ": "SH", "t": "T", "θ": "TH", "v": "V", "w": "W", "j": "Y",
    "z": "Z", "ʒ": "ZH",
}  # fmt: skip

# Festival / HTS (CMU ARCTIC labels) phones that are not spelled as in ARPAbet.
FESTIVAL_TO_ARPABET: dict[str, str] = {"ax": "AH", "pau": SILENCE, "h#": SILENCE, "ssil": SILENCE}

# Merged clusters in hand-made tiers: praatio's bobby_phones.TextGrid labels the "pt" of
# "ripped" as one segment "PT". Its visible part is the lip closure, so it counts as P.
MERGED_CLUSTERS: dict[str, str] = {"PT": "P"}


def to_arpabet(label: str) -> str:
    """One reference label (ARPAbet with stress, Festival, or IPA) -> ARPAbet or `sil`."""
    raw = label.strip()
    if raw in IPA_TO_ARPABET:
        return IPA_TO_ARPABET[raw]
    if raw.lower() in FESTIVAL_TO_ARPABET:
        return FESTIVAL_TO_ARPABET[raw.lower()]
    if raw.upper() in MERGED_CLUSTERS:
        return MERGED_CLUSTERS[raw.upper()]
    return normalise_label(raw)


def _audio_duration(path: Path) -> float:
    import soundfile as sf

    info = sf.info(str(path))
    return info.frames / info.samplerate


def _tier(tiers: dict[str, Tier], *names: str) -> Tier | None:
    for name in names:
        if name in tiers:
            return tiers[name]
    return None


def load_textgrid_clip(
    name: str, audio: Path, textgrid: Path, transcript: str | None = None
) -> PhoneClip:
    """A clip whose phones come from a TextGrid `phones`/`phone` tier; the transcript from its
    `words`/`word` tier unless given."""
    tiers = read_textgrid(textgrid)
    phone_tier = _tier(tiers, "phones", "phone")
    if phone_tier is None:
        raise ValueError(f"{textgrid} has no phones tier")
    duration = _audio_duration(audio)
    phones = [Phone(to_arpabet(text), s, e) for s, e, text in phone_tier.entries]
    word_tier = _tier(tiers, "words", "word")
    entries = word_tier.entries if word_tier else []
    words = [Word(t.strip(), s, e) for s, e, t in entries if t.strip()]
    if transcript is None:
        if not words:
            raise ValueError(f"{textgrid} has no word tier: give the transcript")
        transcript = " ".join(w.text for w in words)
    return PhoneClip(name, Path(audio), transcript, contiguous(phones, duration), duration, words)


def read_hts_labels(path: Path) -> list[Phone]:
    """HTS full-context labels (`start end context`, times in 100 ns): the phone is the part
    of the context between '-' and '+'."""
    phones = []
    for line in Path(path).read_text().splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        start, end, context = int(parts[0]) * 1e-7, int(parts[1]) * 1e-7, parts[2]
        label = context.split("-", 1)[1].split("+", 1)[0]
        phones.append(Phone(to_arpabet(label), start, end))
    return phones


# The CMU ARCTIC prompt of arctic_a0009 (txt.done.data line 9 of the CMU ARCTIC prompt list,
# festvox.org/cmu_arctic; also in the arctic20 prompt list shipped with pocketsphinx's
# adaptation tutorials).
ARCTIC_A0009_TEXT = "He turned sharply, and faced Gregson across the table."

# praatio's examples/files/bobby_words.TextGrid (word tier of the same recording).
BOBBY_TEXT = "Bobby ripped the ledger"


def english_phone_clips(root: Path | None = None) -> list[PhoneClip]:
    """The English evaluation set: MFA acoustic_corpus, arctic_a0009, praatio bobby and mary."""
    base = (root or data_root()) / "english"
    arctic = base / "arctic"
    arctic_wav = arctic / "arctic_a0009.wav"
    arctic_duration = _audio_duration(arctic_wav)
    arctic_clip = PhoneClip(
        "arctic_a0009",
        arctic_wav,
        ARCTIC_A0009_TEXT,
        contiguous(read_hts_labels(arctic / "arctic_a0009_phone.lab"), arctic_duration),
        arctic_duration,
        [],
    )
    return [
        load_textgrid_clip(
            "mfa_acoustic_corpus",
            base / "mfa" / "acoustic_corpus.wav",
            base / "mfa" / "acoustic_corpus.TextGrid",
        ),
        arctic_clip,
        load_textgrid_clip(
            "praatio_bobby",
            base / "praatio" / "bobby.wav",
            base / "praatio" / "bobby_phones.TextGrid",
            transcript=BOBBY_TEXT,
        ),
        load_textgrid_clip(
            "praatio_mary", base / "praatio" / "mary.wav", base / "praatio" / "mary.TextGrid"
        ),
    ]


# ---------------------------------------------------------------------------------------------
# FACEGOOD

FACEGOOD_FPS = 30.0


def _mean(*values: np.ndarray) -> np.ndarray:
    return np.mean(np.stack(values), axis=0)


def facegood_to_arkit(values: np.ndarray, names: list[str]) -> np.ndarray:
    """(T, 116) FACEGOOD weights -> (T, 52) ARKit weights with the map of
    ../shared/data/README.md (each channel clipped to [0, 1]); unmapped channels are 0."""
    idx = {n: i for i, n in enumerate(names)}

    def c(name: str) -> np.ndarray:
        return values[:, idx[name]].astype(np.float64)

    out = np.zeros((values.shape[0], len(ARKIT52)), dtype=np.float64)
    targets: dict[str, np.ndarray] = {
        "jawOpen": c("mouth_stretch_c") + 0.6 * c("mouth_oh_c") + 0.5 * c("tooth_d_d"),
        "mouthFunnel": _mean(c("mouth_funnel_dl"), c("mouth_funnel_dr"), c("mouth_funnel_ul"),
                             c("mouth_funnel_ur"))
        + 0.4 * c("mouth_oh_c")
        + 0.3 * c("mouth_oo_c"),
        "mouthPucker": _mean(c("mouth_pucker_l"), c("mouth_pucker_r")) + 0.6 * c("mouth_oo_c"),
        "mouthRollLower": _mean(c("mouth_suck_dl"), c("mouth_suck_dr")),
        "mouthRollUpper": _mean(c("mouth_suck_ul"), c("mouth_suck_ur")),
        "mouthShrugUpper": c("mouth_chinRaise_u"),
        "mouthShrugLower": c("mouth_chinRaise_d"),
    }
    for side, s in (("Left", "l"), ("Right", "r")):
        targets[f"mouthLowerDown{side}"] = c(f"mouth_lowerLipDepress_{s}")
        targets[f"mouthUpperUp{side}"] = c(f"mouth_upperLipRaise_{s}")
        targets[f"mouthPress{side}"] = c(f"mouth_press_{s}")
        targets[f"mouthStretch{side}"] = c(f"mouth_lipStretch_{s}")
        targets[f"mouthSmile{side}"] = c(f"mouth_lipCornerPull_{s}")
        targets[f"noseSneer{side}"] = c(f"nose_wrinkle_{s}")
    for name, curve in targets.items():
        out[:, ARKIT_INDEX[name]] = curve
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def _load_npy(path: Path, allow_pickle: bool = False) -> np.ndarray:
    with warnings.catch_warnings():  # the files were written by Python 2
        warnings.simplefilter("ignore", UserWarning)
        return np.load(path, allow_pickle=allow_pickle)


def facegood_clips(root: Path | None = None) -> list[FacegoodClip]:
    """The 5 FACEGOOD dev clips with ARKit-52 targets at 30 fps."""
    base = (root or data_root()) / "facegood"
    names = [str(n) for n in _load_npy(base / "shirley_1015_bs_name.npy", allow_pickle=True)]
    clips = []
    for npy in sorted(base.glob("bs_value_*.npy")):
        clip_id = npy.stem[len("bs_value_") :]
        weights = facegood_to_arkit(_load_npy(npy), names)
        clips.append(FacegoodClip(clip_id, base / f"{clip_id}.wav", weights, FACEGOOD_FPS))
    return clips


# ---------------------------------------------------------------------------------------------
# LJSpeech


def ljspeech_clips(root: Path | None = None) -> list[TranscribedClip]:
    """LJSpeech clips with their normalised transcripts (metadata.csv: id|text|normalised)."""
    base = (root or data_root()) / "english" / "ljspeech"
    clips = []
    with open(base / "metadata.csv", encoding="utf-8", newline="") as f:
        for row in csv.reader(f, delimiter="|", quoting=csv.QUOTE_NONE):
            if len(row) < 2:
                continue
            text = row[2] if len(row) > 2 and row[2].strip() else row[1]
            audio = base / f"{row[0]}.flac"
            if audio.exists():
                clips.append(TranscribedClip(row[0], audio, text.strip()))
    return clips
