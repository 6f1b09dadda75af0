"""Transcripts in other languages: espeak-ng gives the words' phones (mapped to ARPAbet), the
English acoustic model places them. Real libespeak-ng, real pocketsphinx, real clips."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from voxrig.bridge.cli import main
from voxrig.core import espeak_phones
from voxrig.core.align import align, transcript_words
from voxrig.core.audio import load_audio
from voxrig.core.bake import bake
from voxrig.core.config import AlignConfig, Config
from voxrig.core.errors import VoxrigError
from voxrig.core.names import ARPABET, BILABIALS, SILENCE
from voxrig.core.phones import Phone, contiguous
from voxrig.core.transcript import normalise_transcript

MFA = Path(__file__).resolve().parents[2] / "shared" / "data" / "multilingual" / "mfa"
SPANISH = MFA / "13697_11991_000000.opus"
SWEDISH = MFA / "se10x016-08071999-1334_u0016004.wav"
JAPANESE = MFA / "common_voice_ja_24511055.mp3"
# The Common Voice sentence (真っ昼間なのにキャンプの外れの電柱に電球がともっていた) in kana:
# kanji need pykakasi, which the tests do not install.
JAPANESE_KANA = "まっぴるま なのに キャンプの はずれの でんちゅうに でんきゅうが ともっていた"

# Text in every language voxrig claims (docs/alignment.md): every phoneme espeak-ng emits
# for it must be in the IPA -> ARPAbet table.
CLAIMED = {
    "cmn": "我们明天早上八点在北京火车站见面。妈妈骑马，马慢，妈妈骂马。女儿学习绿色的语言。",
    "ja": "わたしはまいあさコーヒーをのみます。きゃんぷ、ちゅうい、しゃしん、ふじさん、ってぃ。",
    "ko": "안녕하세요 만나서 반갑습니다. 오늘 날씨가 아주 좋네요. 우리는 학교에 갑니다.",
    "ru": "Съешь же ещё этих мягких французских булок, да выпей чаю. Щука жжёт.",
    "hi": "नमस्ते, आप कैसे हैं? मैं आज बाज़ार जा रहा हूँ। यह किताब बहुत अच्छी है। ऋषि ज्ञान।",
    "ar": "مرحبا كيف حالك؟ ذهبت إلى السوق واشتريت الخبز والحليب. ظل ضوء صباح",
    "el": "Καλημέρα σας, τι κάνετε; Πήγαμε στην αγορά και αγοράσαμε ψωμί και γάλα.",
    "he": "שלום, מה שלומך? הלכנו לשוק וקנינו לחם וחלב.",
    "es": "Buenos días, ¿cómo estás? Quiero un café con leche. El perro bebe agua bajo el árbol.",
    "fr": "Bonjour, comment allez-vous? Aujourd'hui nous sommes allés au marché, un brun parfum.",
    "de": "Guten Morgen, wie geht es Ihnen? Wir haben Brot und Käse gekauft. Pfütze, Äuglein.",
    "it": "Buongiorno, come sta? Oggi siamo andati al mercato a comprare pane e formaggio.",
    "pt": "Bom dia, como você está? Hoje fomos ao mercado comprar pão e queijo, irmãos.",
    "sv": "Vår husläkare börjar i och för sig bli gammal och skröplig, men sju sjösjuka sjömän.",
    "tr": "Günaydın, nasılsınız? Bugün pazara gittik ve ekmek ile peynir aldık. Öğretmen.",
    "pl": "Dzień dobry, jak się masz? Dziś poszliśmy na targ kupić chleb i ser. Chrząszcz.",
    "nl": "Goedemorgen, hoe gaat het met u? Vandaag zijn we naar de markt gegaan. Uitgeverij.",
    "vi": "Xin chào, bạn có khỏe không? Hôm nay chúng tôi đi chợ mua bánh mì.",
    "fi": "Hyvää huomenta, mitä kuuluu? Tänään menimme torille ostamaan leipää ja juustoa.",
}


def _fresh_engine(monkeypatch) -> None:
    monkeypatch.setattr(espeak_phones, "_ENGINE", None)
    espeak_phones.word_phonemes.cache_clear()


# ------------------------------------------------------------------------ the table


@pytest.mark.parametrize("language", list(CLAIMED))
def test_the_table_maps_every_phoneme_espeak_emits(language):
    words = espeak_phones.surface_words(CLAIMED[language], language)
    assert len(words) >= 5
    unmapped = {p for w in words for p in espeak_phones.word_phonemes(w, language)
                if espeak_phones.ipa_to_arpabet(p, language) is None}  # fmt: skip
    assert not unmapped, f"{language}: not in IPA_TO_ARPABET: {sorted(unmapped)}"
    for word in words:
        phones = espeak_phones.pronounce_keyed(espeak_phones.keyed(word, language))
        assert phones and set(phones) <= ARPABET, (word, phones)


def test_mouth_shapes_survive_the_mapping():
    """What the animator cares about: closures stay closures, rounded vowels rounded, open
    vowels open, lip-teeth fricatives F/V, tones and stress leave no trace."""
    def phones(word: str, language: str) -> list[str]:
        return espeak_phones.pronounce_keyed(espeak_phones.keyed(word, language))

    assert phones("mama", "es") == ["M", "AA", "M", "AA"]
    assert phones("bebe", "es")[0] == "B" and phones("papa", "pl")[0] == "P"
    assert "UW" in phones("sju", "sv") and phones("du", "fr")[-1] == "UW"  # rounded y, u
    assert phones("vivo", "es")[0] in ("B", "V") and phones("fofo", "pt")[0] == "F"
    assert phones("妈", "cmn") == ["M", "AA"] and phones("八", "cmn")[0] == "P"
    assert all(p[-1] not in "0123456789" for p in phones("北京", "cmn"))


def test_han_characters_are_words_one_by_one_and_kana_runs_split_by_script():
    assert espeak_phones.surface_words("你好，北京。", "cmn") == ["你", "好", "北", "京"]
    assert espeak_phones.surface_words("はい、コーヒーをのみます", "ja") == [
        "はい", "コーヒー", "をのみます"]  # fmt: skip
    assert espeak_phones.surface_words("¿Cómo estás? Bien.", "es") == ["cómo", "estás", "bien"]


# ------------------------------------------------------------------ language detection


@pytest.mark.parametrize(("text", "language"), [
    ("我们明天见", "cmn"), ("真っ昼間なのに", "ja"), ("キャンプ", "ja"), ("안녕하세요", "ko"),
    ("Привет, как дела?", "ru"), ("नमस्ते", "hi"), ("مرحبا", "ar"), ("Καλημέρα", "el"),
    ("שלום", "he"), ("สวัสดี", "th"), ("Hello there", None),
    ("Buenos días, señor", None),  # Latin-script languages only with --language
    ("The letter α is Greek", None), ("[happy] 3 dogs", None), ("", None),
])  # fmt: skip
def test_the_script_tells_the_language(text, language):
    assert espeak_phones.detect_language(text) == language


# ------------------------------------------------------------------- English as before


def test_an_english_transcript_takes_the_english_path():
    text = "Mr. Smith paid $3.50 for 2 apples, didn't he? [happy]"
    for code in ("auto", "en", "en-us", "en-GB"):
        words, why = transcript_words(text, AlignConfig(text_language=code))
        assert words == normalise_transcript(text) and why is None


@pytest.mark.slow
def test_aligning_english_never_loads_espeak():
    """A fresh process aligning an English line leaves libespeak-ng unloaded, and the result
    is the one `--language en` gives."""
    script = (
        "import sys\n"
        "from voxrig.bridge.cli import SAMPLE_AUDIO, SAMPLE_TEXT\n"
        "from voxrig.core.align import align\n"
        "from voxrig.core.audio import load_audio\n"
        "from voxrig.core.config import AlignConfig\n"
        "from voxrig.core import espeak_phones\n"
        "audio = load_audio(SAMPLE_AUDIO); text = SAMPLE_TEXT.read_text()\n"
        "a = align(audio, text)\n"
        "assert espeak_phones._ENGINE is None\n"
        "assert 'espeak' not in open('/proc/self/maps').read()\n"
        "b = align(audio, text, AlignConfig(text_language='en'))\n"
        "assert a.source == 'forced' and a.phones == b.phones and a.words == b.words\n"
        "print('ok', len(a.words))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok")


# ---------------------------------------------------------------------- real clips


def _check_placed(timeline, words: list[str], duration: float) -> None:
    assert timeline.source == "forced", timeline.warnings
    assert [w.text for w in timeline.words] == words  # every word, in order
    starts = [w.start for w in timeline.words]
    assert starts == sorted(starts)
    assert all(w.end > w.start for w in timeline.words)
    assert timeline.words[0].start < 1.5 and timeline.words[-1].end > duration - 2.0
    labels = {p.label for p in timeline.phones}
    assert labels <= ARPABET | {SILENCE} and labels & BILABIALS


@pytest.mark.slow
def test_a_spanish_clip_is_aligned_to_its_transcript():
    audio = load_audio(SPANISH)
    text = SPANISH.with_suffix(".lab").read_text(encoding="utf-8")
    timeline = align(audio, text, AlignConfig(text_language="es"))
    _check_placed(timeline, espeak_phones.surface_words(text, "es"), audio.duration)
    assert "wentworth" in [w.text for w in timeline.words] and not timeline.warnings
    # read as English (as before), the same transcript did not fit
    assert align(audio, text, AlignConfig(text_language="en")).source == "recognised"


@pytest.mark.slow
def test_a_swedish_clip_is_aligned_and_a_wrong_transcript_still_detected():
    audio = load_audio(SWEDISH)
    text = SWEDISH.with_suffix(".lab").read_text(encoding="utf-8")
    timeline = align(audio, text, AlignConfig(text_language="sv"))
    _check_placed(timeline, espeak_phones.surface_words(text, "sv"), audio.duration)
    assert "husläkare" in [w.text for w in timeline.words]
    spanish = SPANISH.with_suffix(".lab").read_text(encoding="utf-8")
    wrong = align(audio, " ".join(spanish.split()[:19]), AlignConfig(text_language="es"))
    assert wrong.source == "recognised"
    assert "does not match" in wrong.warnings[-1]


@pytest.mark.slow
def test_a_japanese_clip_is_aligned_by_its_script():
    audio = load_audio(JAPANESE)
    timeline = align(audio, JAPANESE_KANA)  # auto: kana say Japanese
    _check_placed(timeline, espeak_phones.surface_words(JAPANESE_KANA, "ja"), audio.duration)


@pytest.mark.slow
def test_mandarin_synthetic_speech_aligns_close_to_its_exact_phones():
    """FACEGOOD's Mandarin has no transcripts, so Mandarin is checked on espeak-ng's own
    speech, whose phoneme events give the exact timings."""
    from bench.espeak import Espeak

    espeak_phones.speaks("cmn")  # core's libespeak-ng first; the synthesiser's init keeps it
    text = "我们明天早上八点在北京火车站见面，妈妈买了很多苹果。"
    samples, events = Espeak().say(text, "cmn-latn-pinyin", 175, 50, 50)
    # a -60 dBFS noise floor, as a recording has: pocketsphinx finds no path through
    # digital silence (exact zeros), in English too
    samples = samples + np.random.default_rng(0).normal(0.0, 1e-3, len(samples))
    samples = samples.astype(np.float32)
    duration = len(samples) / 16000.0
    reference = contiguous([Phone(lab, s, e) for lab, s, e in events], duration)
    from voxrig.core.audio import Audio

    timeline = align(Audio(samples, 16000, "synthetic"), text)
    words = espeak_phones.surface_words(text, "cmn")
    _check_placed(timeline, words, duration)
    ref = np.array([p.start for p in reference[1:]])
    got = np.array([p.start for p in timeline.phones[1:]])
    errors = np.min(np.abs(ref[:, None] - got[None, :]), axis=1)
    assert np.median(errors) <= 0.03, np.median(errors)


# ------------------------------------------------------------------ what goes wrong


@pytest.mark.slow
def test_a_language_espeak_does_not_speak_gives_one_warning_and_recognition():
    audio = load_audio(SWEDISH)
    text = SWEDISH.with_suffix(".lab").read_text(encoding="utf-8")
    timeline = align(audio, text, AlignConfig(text_language="xx-nowhere"))
    assert timeline.source == "recognised"
    assert timeline.warnings == ["espeak-ng does not speak the transcript's language "
                                 "'xx-nowhere'; phones were recognised instead"]
    clip = bake(SWEDISH, text, Config(align=AlignConfig(text_language="xx-nowhere")))
    said = [w for w in clip.meta["warnings"] if "espeak-ng" in w]
    assert len(said) == 1 and "\n" not in said[0]


def test_missing_espeak_is_one_line_naming_the_debian_package(monkeypatch):
    _fresh_engine(monkeypatch)
    monkeypatch.setattr(espeak_phones.ctypes.util, "find_library", lambda name: None)
    monkeypatch.setattr(espeak_phones, "_LIBRARY", "libespeak-ng-not-here.so.9")
    with pytest.raises(VoxrigError) as caught:
        transcript_words("Привет, как дела?", AlignConfig())
    message = str(caught.value)
    assert "\n" not in message and "apt-get install libespeak-ng1" in message
    # an English transcript never needs it
    assert transcript_words("Hello there", AlignConfig())[0] == ["hello", "there"]


def test_kanji_without_pykakasi_is_one_line_naming_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "pykakasi", None)  # import fails as if not installed
    with pytest.raises(VoxrigError) as caught:
        espeak_phones.surface_words("真っ昼間なのに", "ja")
    assert "\n" not in str(caught.value) and "pip install pykakasi" in str(caught.value)
    assert espeak_phones.surface_words("まっぴるまなのに", "ja") == ["まっぴるまなのに"]


# ------------------------------------------------------------------------------ CLI


@pytest.mark.slow
def test_bake_language_option(tmp_path, capsys):
    audio = tmp_path / "es.opus"
    shutil.copy(SPANISH, audio)
    out = tmp_path / "es.json"
    code = main(["bake", str(audio), "--text", str(SPANISH.with_suffix(".lab")),
                 "--language", "es", "-o", str(out), "-q"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    meta = json.loads(out.read_text())["meta"]
    assert meta["phone_source"] == "forced"
    assert [w[0] for w in meta["words"]][:4] == ["la", "sorpresa", "y", "el"]
