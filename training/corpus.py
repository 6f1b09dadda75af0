"""Synthetic speech with exact phone timings, for training the audio -> face model.

Three real TTS engines (espeak-ng, festival, flite) say seeded random texts; each engine also
tells us when every phone starts, so the timings are exact rather than aligned after the fact.
Every utterance becomes `<out>/<engine>/<voice>/<id>.wav` (16 kHz mono PCM16) plus `<id>.json`
with contiguous ARPAbet phones, and `<out>/manifest.jsonl` lists them all.

    python -m training.corpus [--out build/training/corpus] [--minutes 200] [--seed 0] [--jobs 2]

The work is cut into chunks of a few utterances with one voice; chunks are planned from the seed
alone, so a rerun with the same seed makes the same corpus and skips files that already exist.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
import traceback
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from bench.espeak import RATE, Espeak, Segment, to_16k
from voxrig.core.names import ARPABET, SILENCE
from voxrig.core.phones import Phone, contiguous

MIN_SECONDS, MAX_SECONDS = 2.0, 12.0
# Utterances per chunk: festival loads its voice once per chunk, so its chunks are longer; the
# many-language espeak bucket uses short chunks so that every language gets several voices.
CHUNK_SIZES = {"espeak-en": 4, "espeak-xx": 2, "festival": 8, "flite": 4}
FORTUNES = Path("/usr/share/games/fortunes")

# Shares of the total minutes per bucket (the brief's 100 / 45 / 35 / 50 minutes).
BUCKETS: dict[str, float] = {"espeak-en": 100, "espeak-xx": 45, "festival": 35, "flite": 50}

# --------------------------------------------------------------------------------------------
# Phone label mappings (pure; tested in tests/test_training_corpus.py)
# --------------------------------------------------------------------------------------------

# Radio/CMU phone set used by festival's English voices and flite, lowercase.
_FESTVOX_EXTRA = {
    "pau": SILENCE, "h#": SILENCE, "brth": SILENCE, "sil": SILENCE, "ssil": SILENCE,
    "ax": "AH", "axr": "ER", "ix": "IH", "ux": "UW", "dx": "D", "nx": "N", "el": "L",
    "em": "M", "en": "N", "hv": "HH", "q": "T", "tcl": "T", "dcl": "D",
}  # fmt: skip


def festvox_to_arpabet(label: str) -> str:
    """One festival/flite phone (e.g. `ax`, `pau`, `ow1`) as ARPAbet without stress, or `sil`."""
    base = label.strip().lower().rstrip("012")
    if base in _FESTVOX_EXTRA:
        return _FESTVOX_EXTRA[base]
    upper = base.upper()
    return upper if upper in ARPABET else SILENCE


# --------------------------------------------------------------------------------------------
# Texts
# --------------------------------------------------------------------------------------------

_EN_FILES = [
    "fortunes", "wisdom", "people", "literature", "science", "platitudes", "humorists",
    "education", "work", "politics", "love", "men-women", "kids", "food", "pets", "riddles",
    "sports", "law", "medicine", "magic", "miscellaneous", "songs-poems", "goedel", "computers",
    "linux", "startrek", "pratchett", "paradoxum", "zippy", "tao", "news", "cookie", "art",
]  # fmt: skip
_IT_FILES = ["definizioni", "formiche", "italia", "itatrek", "leggi", "luttazzi", "paolotedeschi"]
_LETTERS = {
    "en": "a-zA-Z",
    "de": "a-zA-ZäöüÄÖÜß",
    "es": "a-zA-ZáéíóúñüÁÉÍÓÚÑ¿¡",
    "it": "a-zA-ZàèéìòùÀÈÉÌÒÙ",
}


def fortune_sentences(language: str) -> list[str]:
    """Sentences of 5-30 words from the Debian fortune files, letters and light punctuation only."""
    if language == "en":
        paths = [FORTUNES / name for name in _EN_FILES]
    elif language == "it":
        paths = [FORTUNES / name for name in _IT_FILES]
    else:
        paths = [Path(p) for p in sorted(glob.glob(str(FORTUNES / language / "*")))]
    paths = [p for p in paths if p.is_file() and p.suffix not in (".dat", ".u8")]
    allowed = re.compile(rf"^[{_LETTERS[language]} ,.;:!?'\-]+$")
    sentences: list[str] = []
    for path in sorted(set(paths)):
        raw = path.read_bytes().decode("utf-8", errors="ignore")
        for entry in raw.split("\n%"):
            flat = re.sub(r"\s+", " ", entry.replace("%", " ")).strip()
            for sentence in re.split(r"(?<=[.!?])\s+", flat):
                sentence = sentence.strip(" -'")
                words = sentence.split()
                if 5 <= len(words) <= 30 and allowed.match(sentence) and "--" not in sentence:
                    sentences.append(sentence)
    return sorted(set(sentences))


def cmudict_words() -> list[str]:
    """Plain words from pocketsphinx's CMUdict, for random sequences with broad phone coverage."""
    import pocketsphinx

    path = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
    words = set()
    for line in path.read_text(errors="ignore").splitlines():
        word = line.split(" ", 1)[0]
        if re.fullmatch(r"[a-z]{2,12}", word):
            words.add(word)
    return sorted(words)


# Pseudo-word syllables for languages without fortune files; espeak-ng reads them with that
# language's letter-to-sound rules.
_SYLLABLES: dict[str, tuple[list[str], list[str]]] = {
    "fr": (["b", "d", "f", "g", "j", "l", "m", "n", "p", "r", "s", "t", "v", "ch", "gn", ""],
           ["a", "e", "i", "o", "u", "é", "è", "ou", "on", "an", "in", "eu", "au", "oi"]),
    "pt": (["b", "d", "f", "g", "j", "l", "m", "n", "p", "r", "s", "t", "v", "ch", "lh", "nh"],
           ["a", "e", "i", "o", "u", "ão", "ã", "é", "ê", "ó", "ô", "õe"]),
    "nl": (["b", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z"],
           ["a", "e", "i", "o", "u", "aa", "ee", "oo", "ui", "ij", "ou", "eu", "oe"]),
    "sv": (["b", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "sj"],
           ["a", "e", "i", "o", "u", "y", "å", "ä", "ö"]),
    "ru": (list("бвгджзклмнпрстфхцчшщ") + [""], list("аеиоуыэюя")),
    "ja": ([""], list("かきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれ"
                     "ろわんがぎぐげござじずぜぞだでどばびぶべぼぱぴぷぺぽ")),
}  # fmt: skip

_PINYIN_INITIALS = ["b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x",
                    "zh", "ch", "sh", "r", "z", "c", "s", "y", "w", ""]  # fmt: skip
_PINYIN_FINALS = ["a", "o", "e", "ai", "ei", "ao", "ou", "an", "en", "ang", "eng", "ong", "i",
                  "ia", "ie", "iao", "iu", "ian", "in", "iang", "ing", "iong", "u", "ua", "uo",
                  "uai", "ui", "uan", "un", "uang", "er"]  # fmt: skip
_HANZI = (
    "的一是不了人我在有他这中大来上国个到说们为子和地出道也时年得就那要下以生会自着去之过家学"
    "对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头"
    "面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向"
    "情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信"
    "北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难"
)


def pinyin_syllable(rng: random.Random) -> str:
    """A valid-looking pinyin syllable with a tone digit (rejection sampling on simple rules)."""
    while True:
        initial, final = rng.choice(_PINYIN_INITIALS), rng.choice(_PINYIN_FINALS)
        if _pinyin_ok(initial, final):
            return f"{initial}{final}{rng.randint(1, 4)}"


_Y_FINALS = {"a", "e", "ao", "ou", "an", "in", "ang", "ing", "ong", "i", "u", "uan", "un"}
_W_FINALS = {"a", "o", "ai", "ei", "an", "en", "ang", "eng", "u"}


def _pinyin_ok(initial: str, final: str) -> bool:
    if initial == "y":
        return final in _Y_FINALS
    if initial == "w":
        return final in _W_FINALS
    if initial == "":
        return not final.startswith(("i", "u")) and final != "ong"
    if final == "er":
        return False
    if initial in ("j", "q", "x"):
        return final.startswith("i")
    if final.startswith("i") and initial in ("g", "k", "h", "z", "c", "s", "zh", "ch", "sh", "r"):
        return final == "i" and initial not in ("g", "k", "h")
    if initial in ("b", "p", "m", "f"):
        return not (final.startswith("u") and final != "u") and final != "ong"
    return True


def mandarin_text(rng: random.Random) -> str:
    """Chinese characters (read with tones by espeak-ng's cmn dictionary) or pinyin syllables."""
    words = []
    for _ in range(rng.randint(5, 14)):
        n = rng.choice([1, 2, 2, 2, 3])
        if rng.random() < 0.5:
            words.append("".join(rng.choice(_HANZI) for _ in range(n)))
        else:
            words.append("".join(pinyin_syllable(rng) for _ in range(n)))
        if rng.random() < 0.12:
            words.append("，")
    return " ".join(words).replace(" ，", "，") + "。"


def pseudo_text(language: str, rng: random.Random) -> str:
    """Random words built from the language's syllables, with the odd comma."""
    onsets, nuclei = _SYLLABLES[language]
    words = []
    for _ in range(rng.randint(5, 14)):
        word = "".join(rng.choice(onsets) + rng.choice(nuclei) for _ in range(rng.randint(1, 3)))
        words.append(word + ("," if rng.random() < 0.1 else ""))
    return " ".join(words) + "."


def random_words(words: list[str], rng: random.Random) -> str:
    out = []
    for _ in range(rng.randint(5, 16)):
        out.append(rng.choice(words) + ("," if rng.random() < 0.1 else ""))
    return " ".join(out) + "."


@dataclass
class TextSource:
    """All text pools, loaded once per process."""

    sentences: dict[str, list[str]] = field(default_factory=dict)
    words: list[str] = field(default_factory=list)

    def text(self, language: str, rng: random.Random) -> str:
        base = language.split("-")[0]
        if base == "en":
            if rng.random() < 0.3:
                return random_words(self.words, rng)
            return rng.choice(self.sentences["en"])
        if base == "cmn":
            return mandarin_text(rng)
        if base in ("de", "es", "it") and self.sentences.get(base):
            return rng.choice(self.sentences[base])
        return pseudo_text(base if base in _SYLLABLES else "fr", rng)


_TEXTS: TextSource | None = None


def texts() -> TextSource:
    global _TEXTS
    if _TEXTS is None:
        pools = {lang: fortune_sentences(lang) for lang in ("en", "de", "es", "it")}
        _TEXTS = TextSource(pools, cmudict_words())
    return _TEXTS


# --------------------------------------------------------------------------------------------
# Engines: each says one text and returns (16 kHz float audio, [(label, start, end)]);
# espeak-ng's driver is bench/espeak.py (bench's label transfer uses it too)
# --------------------------------------------------------------------------------------------


def _read_wav(path: Path) -> np.ndarray:
    audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return to_16k(audio.mean(axis=1), rate)


def flite_say(text: str, voice: str, stretch: float, f0: float, tmp: Path) -> Segment:
    """flite prints `phone:end_time` pairs with -psdur; the wav is written alongside."""
    wav = tmp / "flite.wav"
    cmd = ["flite", "-voice", voice, "--setf", f"duration_stretch={stretch:.3f}",
           "--setf", f"int_f0_target_mean={f0:.0f}",
           "-t", text, "-o", str(wav), "-psdur"]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    phones, start = [], 0.0
    for item in out.split():
        label, _, end_text = item.rpartition(":")
        end = float(end_text)
        phones.append((festvox_to_arpabet(label), start, end))
        start = end
    return _read_wav(wav), phones


def festival_say_many(items: list[tuple[str, float]], voice: str, tmp: Path) -> list[Segment]:
    """One festival process says all texts of a chunk (loading a voice is the slow part)."""
    lines = [f"(voice_{voice})"]
    for k, (text, stretch) in enumerate(items):
        safe = text.replace("\\", " ").replace('"', "")
        lines += [
            f"(Parameter.set 'Duration_Stretch {stretch:.3f})",
            f'(set! utt (SynthText "{safe}"))',
            f'(utt.save.wave utt "{tmp}/f{k}.wav" \'riff)',
            f'(utt.save.segs utt "{tmp}/f{k}.segs")',
        ]
    script = tmp / "say.scm"
    script.write_text("\n".join(lines) + "\n")
    subprocess.run(["festival", "-b", str(script)], capture_output=True, check=True, timeout=600)
    out = []
    for k in range(len(items)):
        phones, start = [], 0.0
        body = (tmp / f"f{k}.segs").read_text().split("#", 1)[-1]
        for line in body.strip().splitlines():
            end_text, _, label = line.split()
            end = float(end_text)
            phones.append((festvox_to_arpabet(label), start, end))
            start = end
        out.append((_read_wav(tmp / f"f{k}.wav"), phones))
    return out


# --------------------------------------------------------------------------------------------
# Plan: chunks of utterances with one voice, derived from the seed alone
# --------------------------------------------------------------------------------------------

_ESPEAK_EN = ["en-us", "en", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan",
              "en-gb-x-gbcwmd", "en-029", "en-us-nyc"]  # fmt: skip
_ESPEAK_VARIANTS = ["", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5",
                    "klatt", "klatt2", "klatt3", "klatt4", "croak", "whisper", "Andy", "linda",
                    "steph", "john", "max", "iven", "robert", "norbert", "anika"]  # fmt: skip
_VARIANT_WEIGHTS = [6] + [3] * 12 + [2] * 4 + [1, 1] + [2] * 9
# (espeak voice, language tag, weight); Mandarin gets the largest share.
_ESPEAK_XX = [
    ("cmn-latn-pinyin", "cmn", 60), ("de", "de", 8), ("fr", "fr", 7), ("es", "es", 7),
    ("it", "it", 7), ("ru", "ru", 6), ("ja", "ja", 6), ("sv", "sv", 4), ("pt", "pt", 4),
    ("pt-br", "pt", 3), ("nl", "nl", 4), ("es-419", "es", 3),
]  # fmt: skip
_FESTIVAL = ["kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts"]
_FLITE = ["kal", "kal16", "awb", "rms", "slt"]
_FLITE_WEIGHTS = [1, 3, 3, 3, 3]


@dataclass(frozen=True)
class Chunk:
    bucket: str
    index: int
    engine: str
    voice: str
    language: str
    ids: tuple[str, ...]


def plan_chunk(bucket: str, index: int, seed: int) -> Chunk:
    """Chunk `index` of a bucket: which engine, voice and language it uses."""
    rng = random.Random(f"{seed}:{bucket}:{index}")
    size = CHUNK_SIZES[bucket]
    ids = tuple(f"{bucket}-{index * size + k:06d}" for k in range(size))
    if bucket == "espeak-en":
        variant = rng.choices(_ESPEAK_VARIANTS, _VARIANT_WEIGHTS)[0]
        base = rng.choice(_ESPEAK_EN)
        voice = f"{base}+{variant}" if variant else base
        return Chunk(bucket, index, "espeak", voice, "en", ids)
    if bucket == "espeak-xx":
        base, lang, _ = rng.choices(_ESPEAK_XX, [w for *_, w in _ESPEAK_XX])[0]
        variant = rng.choices(_ESPEAK_VARIANTS[:17], _VARIANT_WEIGHTS[:17])[0]
        voice = f"{base}+{variant}" if variant else base
        return Chunk(bucket, index, "espeak", voice, lang, ids)
    if bucket == "festival":
        return Chunk(bucket, index, "festival", _FESTIVAL[index % len(_FESTIVAL)], "en", ids)
    voice = rng.choices(_FLITE, _FLITE_WEIGHTS)[0]
    return Chunk(bucket, index, "flite", voice, "en", ids)


# --------------------------------------------------------------------------------------------
# Synthesis of one chunk (runs in a worker process)
# --------------------------------------------------------------------------------------------


@dataclass
class UttPlan:
    id: str
    texts: list[str]
    pauses: list[float]  # silence inserted after each text but the last
    params: dict[str, float]


def plan_utterance(chunk: Chunk, uid: str, seed: int) -> UttPlan:
    rng = random.Random(f"{seed}:{uid}")
    source = texts()
    count = rng.choices([1, 2, 3], [5, 3, 2])[0]
    parts = [source.text(chunk.language, rng) for _ in range(count)]
    pauses = [rng.uniform(0.3, 1.0) for _ in range(count - 1)]
    params = {
        "rate": rng.randint(130, 230), "pitch": rng.randint(25, 75), "range": rng.randint(20, 80),
        "stretch": rng.uniform(0.8, 1.25), "f0": rng.uniform(80, 130),
    }  # fmt: skip
    if chunk.voice in ("slt",):
        params["f0"] = rng.uniform(150, 200)
    return UttPlan(uid, parts, pauses, params)


def assemble(segments: list[Segment], pauses: list[float]) -> Segment:
    """Join segments with exact digital silences; drop trailing segments past MAX_SECONDS."""
    while len(segments) > 1 and _total(segments, pauses) > MAX_SECONDS:
        segments = segments[:-1]
    audio_parts, phones, offset = [], [], 0.0
    for k, (audio, seg_phones) in enumerate(segments):
        audio_parts.append(audio)
        phones += [(lab, s + offset, e + offset) for lab, s, e in seg_phones]
        offset += len(audio) / RATE
        if k + 1 < len(segments):
            gap = int(round(pauses[k] * RATE))
            audio_parts.append(np.zeros(gap, np.float32))
            phones.append((SILENCE, offset, offset + gap / RATE))
            offset += gap / RATE
    audio = np.concatenate(audio_parts)
    if len(audio) / RATE > MAX_SECONDS:
        audio, phones = _cut_at_pause(audio, phones)
    return audio, phones


def _total(segments: list[Segment], pauses: list[float]) -> float:
    return sum(len(a) for a, _ in segments) / RATE + sum(pauses[: len(segments) - 1])


def _cut_at_pause(audio: np.ndarray, phones: list) -> Segment:
    """A single over-long segment: cut in the middle of the last pause that ends before 12 s."""
    pauses = [(s, e) for lab, s, e in phones if lab == SILENCE and e <= MAX_SECONDS and s > 1.0]
    if not pauses:
        return audio[:0], []
    s, e = pauses[-1]
    cut = (s + e) / 2
    kept = [(lab, ps, min(pe, cut)) for lab, ps, pe in phones if ps < cut]
    return audio[: int(round(cut * RATE))], kept


def synth_chunk(chunk: Chunk, out: str, seed: int) -> list[dict]:
    """Make the missing utterances of a chunk; returns the manifest records of all of them."""
    root = Path(out)
    folder = root / chunk.engine / chunk.voice
    folder.mkdir(parents=True, exist_ok=True)
    todo = [
        plan_utterance(chunk, uid, seed)
        for uid in chunk.ids
        if not _exists(folder, uid) and not (folder / f"{uid}.skip").exists()
    ]
    if todo and chunk.engine == "espeak":
        # libespeak-ng keeps waveform state between calls (a few ms of drift), so each chunk
        # runs in a freshly forked process: the same seed then gives the same samples.
        _in_fresh_process(lambda: _make(chunk, todo, folder))
    elif todo:
        _make(chunk, todo, folder)
    return [
        _manifest_record(json.loads((folder / f"{uid}.json").read_text()), folder, root)
        for uid in chunk.ids
        if _exists(folder, uid)
    ]


def _exists(folder: Path, uid: str) -> bool:
    return (folder / f"{uid}.json").exists() and (folder / f"{uid}.wav").exists()


def _in_fresh_process(work: Callable[[], None]) -> None:
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            work()
        except BaseException:  # report in the child, fail in the parent
            traceback.print_exc()
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError("espeak-ng synthesis failed (see the traceback above)")


def _make(chunk: Chunk, todo: list[UttPlan], folder: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="voxrig-corpus-") as tmpdir:
        tmp = Path(tmpdir)
        if chunk.engine == "festival":
            flat = [(t, p.params["stretch"]) for p in todo for t in p.texts]
            said = iter(festival_say_many(flat, chunk.voice, tmp))
            per_utt = [[next(said) for _ in p.texts] for p in todo]
        elif chunk.engine == "flite":
            per_utt = [[flite_say(t, chunk.voice, p.params["stretch"], p.params["f0"], tmp)
                        for t in p.texts] for p in todo]  # fmt: skip
        else:
            espeak = Espeak()
            per_utt = [[espeak.say(t, chunk.voice, int(p.params["rate"]),
                                   int(p.params["pitch"]), int(p.params["range"]))
                        for t in p.texts] for p in todo]  # fmt: skip
    for plan, segments in zip(todo, per_utt, strict=True):
        _write_utterance(chunk, plan, segments, folder)


def _write_utterance(
    chunk: Chunk, plan: UttPlan, segments: list[Segment], folder: Path
) -> dict | None:
    audio, raw = assemble(segments, plan.pauses)
    duration = len(audio) / RATE
    if not MIN_SECONDS <= duration <= MAX_SECONDS + 1e-6:
        (folder / f"{plan.id}.skip").write_text(f"duration {duration:.2f}\n")
        return None
    phones = contiguous([Phone(lab, s, e) for lab, s, e in raw], duration)
    peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
    if peak > 0.99:
        audio = audio * (0.99 / peak)
    used = len([t for t in plan.texts]) if len(segments) == len(plan.texts) else len(segments)
    record = {
        "id": plan.id, "engine": chunk.engine, "voice": chunk.voice, "language": chunk.language,
        "text": " ".join(plan.texts[:used]), "duration": round(duration, 5),
        "phones": [[p.label, round(p.start, 5), round(p.end, 5)] for p in phones],
    }  # fmt: skip
    sf.write(str(folder / f"{plan.id}.wav"), audio, RATE, subtype="PCM_16")
    (folder / f"{plan.id}.json").write_text(json.dumps(record, ensure_ascii=False) + "\n")
    return record


def _manifest_record(record: dict, folder: Path, root: Path) -> dict:
    entry = {k: v for k, v in record.items() if k != "phones"}
    entry["wav"] = str((folder / f"{record['id']}.wav").relative_to(root))
    entry["json"] = str((folder / f"{record['id']}.json").relative_to(root))
    return entry


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def build(out: Path, minutes: float, seed: int, jobs: int) -> list[dict]:
    """Synthesize chunks of every bucket until each has its share of minutes; keep, per bucket,
    the shortest prefix of chunks that reaches the share, so the corpus depends on the seed only."""
    total_share = sum(BUCKETS.values())
    targets = {b: minutes * 60 * share / total_share for b, share in BUCKETS.items()}
    done: dict[str, dict[int, list[dict]]] = defaultdict(dict)
    next_index = dict.fromkeys(BUCKETS, 0)
    start = time.monotonic()

    def reached(bucket: str) -> bool:
        return _prefix_seconds(done[bucket]) >= targets[bucket]

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        running: dict[Future, Chunk] = {}
        while True:
            open_buckets = [b for b in BUCKETS if not reached(b)]
            while len(running) < jobs * 2 and open_buckets:
                # the bucket furthest from its target goes first; in-flight chunks count as done
                def pending(b: str) -> float:
                    inflight = sum(1 for c in running.values() if c.bucket == b)
                    return (_prefix_seconds(done[b]) + inflight * CHUNK_SIZES[b] * 6) / targets[b]

                bucket = min(open_buckets, key=pending)
                if pending(bucket) >= 1.0:
                    break
                chunk = plan_chunk(bucket, next_index[bucket], seed)
                next_index[bucket] += 1
                running[pool.submit(synth_chunk, chunk, str(out), seed)] = chunk
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                chunk = running.pop(future)
                done[chunk.bucket][chunk.index] = future.result()
            made = sum(_prefix_seconds(d) for d in done.values()) / 60
            print(f"[{time.monotonic() - start:6.0f}s] {made:6.1f} / {minutes:.0f} min "
                  f"({', '.join(f'{b} {_prefix_seconds(done[b]) / 60:.1f}' for b in BUCKETS)})",
                  flush=True)  # fmt: skip
    return [r for b in BUCKETS for r in _kept(done[b], targets[b])]


def _prefix_seconds(chunks: dict[int, list[dict]]) -> float:
    total, k = 0.0, 0
    while k in chunks:
        total += sum(r["duration"] for r in chunks[k])
        k += 1
    return total


def _kept(chunks: dict[int, list[dict]], target: float) -> list[dict]:
    kept, total, k = [], 0.0, 0
    while k in chunks and total < target:
        kept += chunks[k]
        total += sum(r["duration"] for r in chunks[k])
        k += 1
    return kept


def write_manifest(out: Path, records: list[dict]) -> None:
    with open(out / "manifest.jsonl", "w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")


def summary(records: list[dict]) -> str:
    """Minutes per engine, per engine/voice (espeak variants pooled) and per language."""
    lines = []
    for title, key in (("engine", lambda r: r["engine"]),
                       ("engine/voice", lambda r: f"{r['engine']}/{r['voice'].split('+')[0]}"),
                       ("language", lambda r: r["language"])):  # fmt: skip
        groups: dict[str, list[float]] = defaultdict(list)
        for r in records:
            groups[key(r)].append(r["duration"])
        lines.append(f"{title:<40} {'utts':>6} {'minutes':>8}")
        for name in sorted(groups, key=lambda n: -sum(groups[n])):
            lines.append(f"  {name:<38} {len(groups[name]):>6} {sum(groups[name]) / 60:>8.1f}")
    total = sum(r["duration"] for r in records) / 60
    lines.append(f"{'total':<40} {len(records):>6} {total:>8.1f}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Sanity check: do the phone boundaries line up with the audio?
# --------------------------------------------------------------------------------------------


def timing_check(out: Path, records: list[dict], per_group: int = 20, seed: int = 0) -> str:
    """Energy inside silences and stop closures relative to vowels, with the written timings and
    with them shifted by 80 ms, plus the shift (-40..40 ms) that makes silences quietest: exact
    timings give a strong contrast that a shift destroys, and a best shift near 0 ms."""
    rng = random.Random(seed)
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        kind = r["language"] if r["language"] in ("en", "cmn") else "other"
        groups[f"{r['engine']}/{kind}"].append(r)
    lines = [
        f"{'group':<16} {'utts':>4} {'sil-vowel dB':>13} {'closure-vowel dB':>17} "
        f"{'both at +80 ms':>15} {'best shift ms':>14}"
    ]
    for name in sorted(groups):
        picks = rng.sample(groups[name], min(per_group, len(groups[name])))
        loaded = [_load(out, r) for r in picks]
        exact = _contrast(loaded, 0.0)
        shifted = _contrast(loaded, 0.08)
        best = min(range(-40, 45, 5), key=lambda ms: _contrast(loaded, ms / 1000)[0])
        lines.append(
            f"{name:<16} {len(picks):>4} {exact[0]:>13.1f} {exact[1]:>17.1f} "
            f"{shifted[0]:>7.1f} {shifted[1]:>7.1f} {best:>14d}"
        )
    return "\n".join(lines)


def _load(out: Path, record: dict) -> tuple[np.ndarray, list, float]:
    audio, _ = sf.read(str(out / record["wav"]), dtype="float32")
    phones = json.loads((out / record["json"]).read_text())["phones"]
    return audio, phones, record["duration"]


def _contrast(loaded: list[tuple[np.ndarray, list, float]], shift: float) -> tuple[float, float]:
    sil, closure, vowel = [], [], []
    for audio, phones, duration in loaded:
        for label, start, end in phones:
            start, end = start + shift, end + shift
            a, b = int(start * RATE), int(end * RATE)
            if b - a < int(0.03 * RATE) or a < 0 or b > len(audio):
                continue
            if label == SILENCE and start > 0 and end < duration - 0.05:
                sil.append(_power(audio[a + 80 : b - 80]))
            elif label in ("P", "B", "T", "D", "K", "G"):
                # the closure is the first half of a stop, before the burst
                closure.append(_power(audio[a : a + (b - a) // 2]))
            elif label in ("AA", "AE", "AH", "AO", "EH", "IY", "OW", "UW", "EY", "AY"):
                vowel.append(_power(audio[a:b]))

    def db(values: list[float]) -> float:
        return 10 * np.log10(np.mean(values) + 1e-10) if values else float("nan")

    return db(sil) - db(vowel), db(closure) - db(vowel)


def _power(x: np.ndarray) -> float:
    return float(np.mean(x.astype(np.float64) ** 2)) if len(x) else 0.0


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.corpus", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("build/training/corpus"))
    parser.add_argument("--minutes", type=float, default=200.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    for tool in ("festival", "flite"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed (see training/README.md, section Data)")
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    records = build(args.out, args.minutes, args.seed, args.jobs)
    write_manifest(args.out, records)
    print(summary(records))
    check = timing_check(args.out, records, seed=args.seed)
    (args.out / "timing_check.txt").write_text(check + "\n")
    print("\ntiming check (mean power relative to vowels; lower = quieter):")
    print(check)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
