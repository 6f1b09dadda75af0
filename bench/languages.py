"""`python -m bench --only languages`: transcripts in other languages than English (issue 14).

voxrig aligns a non-English transcript by giving its words espeak-ng's phones, mapped to
ARPAbet (core/espeak_phones.py), and placing them with the English acoustic model. Measured:

- **Real clips** with transcripts in ../shared/data/multilingual/mfa (Spanish, Swedish,
  Japanese). They have no reference phone tiers, so the reference is espeak-ng's phones moved
  onto the recording by DTW (bench/multilingual.py's label transfer, checked on English tiers
  there: median boundary error 20 ms, against 10 ms for forced alignment) — approximate.
- **Synthetic speech**: espeak-ng says sentences written here in each language, and its
  phoneme events give the exact phone timings (bench/espeak.py, also training's synthesiser; its
  ARPAbet mapping is independent of core's). The training corpus of the neural model used
  espeak voices too (its many-language bucket), so this speech is not held out from the
  neural engine, and the aligner hears the same voice the phones came from: the synthetic
  numbers are an upper bound on what real speakers give.

For each language: the share of clips aligned (source "forced"), the phone-boundary error
against the reference, and the lip-sync event score (bench/metrics.py) judged on the
reference phones, for the bake with the transcript (now), the same bake with the transcript
read as English (what voxrig did before: --language en), and the neural engine without a
transcript. Results go to bench/languages_results/<date>-<sha>.json."""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from voxrig.core.audio import load_audio
from voxrig.core.bake import bake
from voxrig.core.config import ANALYSIS_RATE as RATE
from voxrig.core.config import AlignConfig, Config
from voxrig.core.phones import Phone, contiguous

from . import metrics
from .multilingual import boundary_errors, multilingual_clips, speakable, transfer_phones

RESULTS_DIR = Path(__file__).parent / "languages_results"
ESPEAK_RATE = 175  # words per minute, espeak's default
# RMS of the noise added to espeak's output, as a recording's floor (-60 dBFS): pocketsphinx
# finds no alignment through digital silence (exact zeros), English included.
NOISE_FLOOR = 1e-3
MODES = ("with transcript", "transcript as English (before)", "neural, no transcript")

# Three sentences per language, written for this bench (closures, open and rounded vowels,
# commas that espeak pauses at). Mandarin first, as the issue asks.
SENTENCES: dict[str, tuple[str, ...]] = {
    "cmn": ("我们明天早上八点在北京火车站见面。", "妈妈买了很多苹果，宝宝非常喜欢吃。",
            "你好，请问这本书多少钱？"),
    "ja": ("わたしは毎朝コーヒーを飲みます。", "バスはもうすぐ駅に着きます、まってください。",
           "この本はとても面白かったです。"),
    "ko": ("우리는 내일 아침에 바다에 갑니다.", "엄마는 매일 밥을 맛있게 만들어요.",
           "안녕하세요, 만나서 반갑습니다."),
    "ru": ("Мама мыла раму, а папа пил чай.", "Завтра утром мы поедем в большой город.",
           "Добрый вечер, как ваши дела?"),
    "hi": ("मेरा नाम राम है और मैं मुंबई में रहता हूँ।", "आज मौसम बहुत अच्छा है, चलो बाहर चलते हैं।",
           "बाबा ने बाज़ार से आम खरीदे।"),
    "ar": ("ذهب الولد إلى المدرسة في الصباح.", "مرحبا، كيف حالك اليوم؟",
           "أحب أن أشرب القهوة مع الحليب."),
    "el": ("Καλημέρα, πώς είσαι σήμερα;", "Η μητέρα μου μαγειρεύει πολύ ωραίο φαγητό.",
           "Πάμε στη θάλασσα το απόγευμα."),
    "he": ("שלום, מה שלומך היום?", "אבא ואמא הלכו לבית הספר.", "אני אוהב לשתות קפה בבוקר."),
    "es": ("Buenos días, ¿cómo estás hoy?", "Mi madre compró manzanas y peras en el mercado.",
           "El perro bebe agua bajo el árbol."),
    "fr": ("Bonjour, comment allez-vous aujourd'hui?", "Ma mère boit du café au lait le matin.",
           "Nous partons en vacances à la plage."),
    "de": ("Guten Morgen, wie geht es dir heute?", "Mein Bruder baut ein Boot aus Holz.",
           "Wir fahren morgen mit dem Zug nach Berlin."),
    "it": ("Buongiorno, come stai oggi?", "Mamma prepara una buona pizza per tutti.",
           "Andiamo al mare domani mattina."),
    "pt": ("Bom dia, como você está hoje?", "Minha mãe comprou pão e bolo na padaria.",
           "O menino bebe muita água de manhã."),
    "sv": ("God morgon, hur mår du idag?", "Mamma bakar bullar med mycket smör.",
           "Vi åker till havet på lördag."),
    "tr": ("Günaydın, bugün nasılsın?", "Babam pazardan bol meyve aldı.",
           "Yarın sabah okula otobüsle gideceğiz."),
    "pl": ("Dzień dobry, jak się masz dzisiaj?", "Moja mama piecze bardzo dobry chleb.",
           "Pojedziemy nad morze w przyszłym tygodniu."),
    "nl": ("Goedemorgen, hoe gaat het met je?", "Mijn moeder bakt brood met boter.",
           "We gaan morgen met de boot naar het eiland."),
    "vi": ("Xin chào, hôm nay bạn có khỏe không?", "Mẹ tôi mua bánh mì ở chợ.",
           "Chúng tôi đi biển vào buổi sáng."),
    "fi": ("Hyvää huomenta, mitä kuuluu?", "Äiti paistaa pullaa ja piirakkaa.",
           "Menemme huomenna bussilla kaupunkiin."),
    "th": ("สวัสดีครับ วันนี้อากาศดีมาก", "แม่ไปตลาดซื้อผลไม้", "ผมชอบกินข้าวผัด"),
}
# How each is given to voxrig: by its script (auto) where the script tells it, else named.
BY_SCRIPT = frozenset({"cmn", "ja", "ko", "ru", "hi", "ar", "el", "he", "th"})


@dataclass
class Item:
    language: str
    name: str
    audio: Path
    transcript: str
    reference: list[Phone]
    duration: float


def _espeak():  # noqa: ANN202 - bench.espeak.Espeak (libespeak-ng with phoneme events)
    from voxrig.core import espeak_phones

    espeak_phones.speaks("en")  # core initialises libespeak-ng first; the synthesiser's
    from .espeak import Espeak  # own initialisation then keeps its events

    return Espeak()


def synthetic_items(folder: Path) -> list[Item]:
    """Each sentence said by espeak-ng (16 kHz wav in `folder`) with its exact phones."""
    from voxrig.core.espeak_phones import voice_for

    engine = _espeak()
    rng = np.random.default_rng(0)
    items = []
    for language, sentences in SENTENCES.items():
        for k, text in enumerate(sentences):
            samples, phones = engine.say(speakable(text, language), voice_for(language),
                                         ESPEAK_RATE, 50, 50)  # fmt: skip
            samples = (samples + rng.normal(0.0, NOISE_FLOOR, len(samples))).astype(np.float32)
            path = folder / f"{language}-{k}.wav"
            sf.write(path, samples, RATE)
            duration = len(samples) / RATE
            reference = contiguous([Phone(lab, s, e) for lab, s, e in phones], duration)
            items.append(Item(language, path.stem, path, text, reference, duration))
    return items


def real_items() -> tuple[list[Item], list[str]]:
    """The non-English clips with transcripts, with DTW-transferred espeak phones."""
    items, errors = [], []
    for clip in multilingual_clips():
        if clip.language in (None, "en") or not clip.transcript:
            continue
        audio = load_audio(clip.audio)
        try:
            reference = transfer_phones(audio.samples, clip.transcript, clip.language).phones
        except Exception as exc:  # reported, not fatal
            errors.append(f"{clip.name}: {type(exc).__name__}: {exc}")
            continue
        items.append(Item(clip.language, clip.name, clip.audio, clip.transcript, reference,
                          audio.duration))
    return items, errors


def _config(mode: str, language: str) -> Config:
    if mode.startswith("neural"):
        return Config(engine="neural")
    text_language = "en" if "English" in mode else (
        "auto" if language in BY_SCRIPT else language)
    return Config(engine="phonetic", align=AlignConfig(text_language=text_language))


def measure(item: Item) -> dict:
    """One clip in every mode: phone source, words placed, boundary error, event counts."""
    out = {"clip": item.name, "seconds": round(item.duration, 2)}
    for mode in MODES:
        neural = mode.startswith("neural")
        t0 = time.perf_counter()
        clip = bake(item.audio, None if neural else item.transcript,
                    _config(mode, item.language))
        row: dict = {"bake_s": round(time.perf_counter() - t0, 2),
                     "source": clip.meta["phone_source"],
                     "counts": metrics.event_counts(metrics.arkit_weights(clip), clip.fps,
                                                    item.reference)}  # fmt: skip
        if not neural:
            phones = contiguous([Phone(lab, s, e) for lab, s, e in clip.meta["phones"]],
                                item.duration)  # fmt: skip
            errors = boundary_errors(item.reference, phones)
            row["boundary_ms"] = [round(1000 * float(e), 1) for e in errors]
            row["words"] = len(clip.meta["words"])
            row["warnings"] = clip.meta["warnings"]
        out[mode] = row
    return out


def summarise(rows: list[dict]) -> dict:
    """Per mode, pooled over a language's clips."""
    out: dict = {"clips": len(rows), "seconds": round(sum(r["seconds"] for r in rows), 1)}
    for mode in MODES:
        score = metrics.event_score([r[mode]["counts"] for r in rows])
        entry = {k: round(v, 4) for k, v in score.as_dict().items()}
        entry["counts"] = {c: vars(getattr(score.counts, c)) for c in metrics.CATEGORIES}
        if not mode.startswith("neural"):
            errors = np.array([e for r in rows for e in r[mode]["boundary_ms"]])
            entry["forced"] = sum(r[mode]["source"] == "forced" for r in rows)
            entry["boundary_median_ms"] = round(float(np.median(errors)), 1) if errors.size \
                else None
            entry["boundary_mean_ms"] = round(float(np.mean(errors)), 1) if errors.size \
                else None
            entry["within_50ms"] = round(float(np.mean(errors <= 50.0)), 3) if errors.size \
                else None
        out[mode] = entry
    return out


def _json_row(row: dict) -> dict:
    return {k: ({**v, "counts": {c: vars(getattr(v["counts"], c)) for c in metrics.CATEGORIES}}
                if isinstance(v, dict) else v) for k, v in row.items()}


def format_report(groups: dict[str, dict]) -> str:
    head = (f"{'':26}{'clips':>5} {'forced':>7} {'bound. med/mean ms':>19} "
            f"{'event now':>9} {'as English':>10} {'neural':>7}")
    lines = [head]
    for name, g in groups.items():
        now, before, neural = (g[m] for m in MODES)
        bounds = (f"{now['boundary_median_ms']}/{now['boundary_mean_ms']}"
                  if now["boundary_median_ms"] is not None else "-")
        lines.append(f"{name:26}{g['clips']:>5} {now['forced']:>3}/{g['clips']:<3} "
                     f"{bounds:>19} {now['event']:>9.3f} {before['event']:>10.3f} "
                     f"{neural['event']:>7.3f}")
    return "\n".join(lines)


def main() -> int:
    from .results import git_sha, results_path, stamped, write_results

    t0 = time.perf_counter()
    groups: dict[str, dict] = {}
    per_clip: dict[str, list] = {}
    print("[bench] languages: real clips ...", file=sys.stderr, flush=True)
    real, errors = real_items()
    for language in ("es", "sv", "ja"):
        rows = [measure(item) for item in real if item.language == language]
        if rows:
            key = f"real {language} (DTW labels)"
            groups[key], per_clip[key] = summarise(rows), [_json_row(r) for r in rows]
    print("[bench] languages: synthetic speech ...", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        items = synthetic_items(Path(tmp))
        for language in SENTENCES:
            rows = [measure(item) for item in items if item.language == language]
            key = f"espeak {language} (exact)"
            groups[key], per_clip[key] = summarise(rows), [_json_row(r) for r in rows]
    sha = git_sha()
    payload = stamped(sha, seconds=round(time.perf_counter() - t0, 1), modes=list(MODES),
                      groups=groups, per_clip=per_clip, errors=errors)
    print(format_report(groups))
    for err in errors:
        print(f"  not measured: {err}")
    write_results(results_path(RESULTS_DIR, sha), payload, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
