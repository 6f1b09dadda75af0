"""Phones from real speech with real pocketsphinx: forced alignment against hand-checked and
MFA phone tiers, mismatch detection on real transcripts, recognition, chunked alignment, and
odd input that must never crash."""

from __future__ import annotations

import dataclasses
import difflib
import re
from pathlib import Path

import numpy as np
import pytest

from voxrig.core.align import HESITATIONS, ChunkedAligner, align, phones_for, recognise
from voxrig.core.audio import Audio, audio_from_array, load_audio
from voxrig.core.config import AlignConfig
from voxrig.core.names import BILABIALS, VOWELS
from voxrig.core.phones import PhoneTimeline
from voxrig.core.transcript import normalise_transcript

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ENGLISH = DATA / "english"
MULTI = DATA / "multilingual" / "mfa"

pytestmark = pytest.mark.skipif(not ENGLISH.is_dir(), reason="shared data not present")

# ------------------------------------------------------------------ reference tier readers
_FESTIVAL = {"ax": "AH", "pau": "sil", "h#": "sil", "PT": "P"}
_IPA = {"m": "M", "ə": "AH", "r": "R", "i": "IY", "o": "OW", "l": "L", "d": "D", "θ": "DH",
        "b": "B", "œ": "AE"}  # fmt: skip


def _label(raw: str) -> str:
    raw = _IPA.get(raw, _FESTIVAL.get(raw, raw))
    base = raw.upper().rstrip("012")
    return base if base and base not in ("SIL", "SP", "") else "sil"


def read_textgrid(path: Path, tier: str) -> list[tuple[float, float, str]]:
    """Intervals of one tier of a Praat TextGrid, long or short text format."""
    text = path.read_text(encoding="utf-8").replace("\r", "")
    if "item [" in text:
        block = text.split(f'name = "{tier}"')[1].split("item [")[0]
        found = re.findall(r'xmin = ([\d.]+)\s*xmax = ([\d.]+)\s*text = "([^"]*)"', block)
        return [(float(a), float(b), t) for a, b, t in found]
    lines = text.split(f'"IntervalTier"\n"{tier}"\n')[1].split('"IntervalTier"')[0].split("\n")
    values = lines[3:]
    return [(float(values[i]), float(values[i + 1]), values[i + 2].strip('"'))
            for i in range(0, len(values) - 2, 3)]  # fmt: skip


def read_hts_lab(path: Path) -> list[tuple[float, float, str]]:
    """HTS full-context labels: start and end in 100 ns units, the phone between - and +."""
    out = []
    for line in path.read_text().splitlines():
        start, end, context = line.split()[:3]
        phone = re.search(r"-([^+]+)\+", context).group(1)
        out.append((int(start) / 1e7, int(end) / 1e7, phone))
    return out


def reference(name: str) -> list[tuple[float, float, str]]:
    if name == "mfa":
        tier = read_textgrid(ENGLISH / "mfa" / "acoustic_corpus.TextGrid", "phones")
    elif name == "bobby":
        tier = read_textgrid(ENGLISH / "praatio" / "bobby_phones.TextGrid", "phone")
    elif name == "mary":
        tier = read_textgrid(ENGLISH / "praatio" / "mary.TextGrid", "phone")
    else:
        tier = read_hts_lab(ENGLISH / "arctic" / "arctic_a0009_phone.lab")
    return [(a, b, _label(t)) for a, b, t in tier]


def boundary_error(ref, timeline: PhoneTimeline) -> tuple[float, float]:
    """Mean absolute error (s) of the starts and ends of phones matched by label sequence, and
    the share of reference phones matched."""
    ref = [p for p in ref if p[2] != "sil"]
    hyp = [(p.start, p.end, p.label) for p in timeline.phones if p.label != "sil"]
    matcher = difflib.SequenceMatcher(a=[p[2] for p in ref], b=[p[2] for p in hyp],
                                      autojunk=False)  # fmt: skip
    errors = []
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            r, h = ref[block.a + k], hyp[block.b + k]
            errors += [abs(r[0] - h[0]), abs(r[1] - h[1])]
    matched = len(errors) / 2 / len(ref)
    return float(np.mean(errors)), matched


def class_agreement(ref, timeline: PhoneTimeline, members: frozenset[str]) -> float:
    """Balanced frame agreement on one phone class over the reference's speech frames."""
    times = np.arange(0.005, timeline.duration, 0.01)

    def labels(intervals):
        out = np.full(len(times), "sil", dtype=object)
        for a, b, label in intervals:
            out[(times >= a) & (times < b)] = label
        return out

    r = labels(ref)
    h = labels([(p.start, p.end, p.label) for p in timeline.phones])
    speech = r != "sil"
    in_r, in_h = np.isin(r, list(members)), np.isin(h, list(members))
    return (float(np.mean(in_h[in_r])) + float(np.mean(~in_h[speech & ~in_r]))) / 2


# ---------------------------------------------------------------------------- the clips
def _mfa_transcript() -> str:
    words = read_textgrid(ENGLISH / "mfa" / "acoustic_corpus.TextGrid", "words")
    return " ".join(w for _, _, w in words if w).replace("yknow", "you know")


REFERENCE_CLIPS = {
    "mfa": (ENGLISH / "mfa" / "acoustic_corpus.wav", _mfa_transcript),
    "bobby": (ENGLISH / "praatio" / "bobby.wav", lambda: "Bobby ripped the ledger."),
    "mary": (ENGLISH / "praatio" / "mary.wav", lambda: "Mary rolled the barrel."),
    "arctic": (ENGLISH / "arctic" / "arctic_a0009.wav",
               lambda: "He turned sharply, and faced Gregson across the table."),
}  # fmt: skip


def _ljspeech() -> dict[str, tuple[Path, str]]:
    rows = (ENGLISH / "ljspeech" / "metadata.csv").read_text(encoding="utf-8").splitlines()
    out = {}
    for row in rows:
        clip_id, _, normalised = row.split("|")
        out[clip_id] = (ENGLISH / "ljspeech" / f"{clip_id}.flac", normalised)
    return out


def english_clips() -> dict[str, tuple[Path, str]]:
    clips = {name: (path, text()) for name, (path, text) in REFERENCE_CLIPS.items()}
    clips.update(_ljspeech())
    return clips


_cache: dict[Path, Audio] = {}


def audio(path: Path) -> Audio:
    if path not in _cache:
        _cache[path] = load_audio(path)
    return _cache[path]


def assert_contiguous(timeline: PhoneTimeline, duration: float) -> None:
    assert timeline.phones[0].start == 0.0
    assert timeline.phones[-1].end == pytest.approx(duration, abs=1e-9)
    for before, after in zip(timeline.phones, timeline.phones[1:], strict=False):
        assert before.end == pytest.approx(after.start, abs=1e-9)
        assert after.end > after.start
    assert all(p.label == "sil" or p.label.isupper() for p in timeline.phones)


# ------------------------------------------------------------------------ forced alignment
@pytest.mark.slow
@pytest.mark.parametrize(("name", "max_error"),
                         [("mfa", 0.025), ("bobby", 0.025), ("arctic", 0.02), ("mary", 0.035)])
def test_forced_alignment_boundaries_are_close_to_the_reference_tiers(name, max_error):
    path, text = REFERENCE_CLIPS[name]
    clip = audio(path)
    timeline = align(clip, text())
    assert timeline.source == "forced"
    assert timeline.warnings == []
    assert_contiguous(timeline, clip.duration)
    error, matched = boundary_error(reference(name), timeline)
    assert matched >= 0.85
    assert error <= max_error


@pytest.mark.slow
def test_long_audio_is_aligned_in_two_halves_without_losing_accuracy():
    path, text = REFERENCE_CLIPS["mfa"]
    clip = audio(path)
    halves = align(clip, text(), AlignConfig(workers=2, parallel_min_seconds=10.0))
    whole = align(clip, text(), AlignConfig(workers=1))
    assert halves.source == "forced"
    assert [w.text for w in halves.words] == [w.text for w in whole.words]
    assert_contiguous(halves, clip.duration)
    ref = reference("mfa")
    assert boundary_error(ref, halves)[0] <= boundary_error(ref, whole)[0] + 0.003


@pytest.mark.slow
def test_a_minute_of_read_speech_aligns_in_halves_exactly_as_whole(tmp_path):
    # the speed bench's input: where the first half ends in the transcript is found from the
    # seconds before the cut only, and must be the word a whole alignment puts there
    from bench.speed import build_input

    wav, txt, _ = build_input(tmp_path)
    clip, transcript = load_audio(wav), txt.read_text()
    halves = align(clip, transcript, AlignConfig(workers=2))
    whole = align(clip, transcript, AlignConfig(workers=1))
    assert halves.source == whole.source == "forced"
    assert [w.text for w in halves.words] == [w.text for w in whole.words]
    starts = np.array([w.start for w in halves.words]) - [w.start for w in whole.words]
    assert np.mean(np.abs(starts) <= 0.02) >= 0.95  # a pause may be shared out differently


@pytest.mark.slow
def test_results_depend_only_on_the_audio_not_on_what_was_decoded_before():
    path, text = REFERENCE_CLIPS["arctic"]
    clip = audio(path)
    first = align(clip, text())
    recognise(audio(ENGLISH / "praatio" / "mary.wav"))
    align(audio(ENGLISH / "praatio" / "bobby.wav"), "Bobby ripped the ledger")
    assert align(clip, text()).phones == first.phones
    assert recognise(clip).phones == recognise(clip).phones


@pytest.mark.slow
def test_forced_alignment_times_every_transcript_word_in_order():
    path, text = REFERENCE_CLIPS["arctic"]
    clip = audio(path)
    timeline = align(clip, text())
    assert [w.text for w in timeline.words] == normalise_transcript(text())
    starts = [w.start for w in timeline.words]
    assert starts == sorted(starts)
    assert all(0.0 <= w.start < w.end <= clip.duration for w in timeline.words)
    # "sharply" holds the phones the dictionary gives it
    sharply = timeline.words[2]
    inside = [p.label for p in timeline.phones if sharply.start <= p.start < sharply.end]
    assert inside == ["SH", "AA", "R", "P", "L", "IY"]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(english_clips()))
def test_the_right_transcript_is_never_flagged_as_a_mismatch(name):
    path, text = english_clips()[name]
    timeline = align(audio(path), text)
    assert timeline.source == "forced", timeline.warnings
    assert timeline.warnings == []


def _other(name: str) -> str:
    clips = english_clips()
    names = sorted(clips)
    return clips[names[(names.index(name) + 1) % len(names)]][1]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(english_clips()))
def test_a_swapped_transcript_falls_back_to_recognition_with_a_warning(name):
    path, _ = english_clips()[name]
    clip = audio(path)
    timeline = align(clip, _other(name))
    assert timeline.source == "recognised"
    assert any("transcript does not match the audio" in w for w in timeline.warnings)
    assert_contiguous(timeline, clip.duration)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mfa", "LJ001-0001", "LJ001-0003"])
def test_a_transcript_missing_its_second_half_places_its_words_and_marks_the_rest(name):
    # Words it can place are placed; the speech after them is recognised and marked
    # unaligned, with a warning: the transcript is not thrown away.
    path, text = english_clips()[name]
    clip = audio(path)
    half = normalise_transcript(" ".join(text.split()[: len(text.split()) // 2]))
    timeline = align(clip, " ".join(half))
    assert timeline.source == "forced"
    assert timeline.warnings
    placed = [w.text for w in timeline.words]
    assert len(placed) >= 0.7 * len(half)
    assert difflib.SequenceMatcher(None, placed, half).ratio() >= 0.8  # in transcript order
    assert timeline.unaligned
    assert timeline.unaligned[-1][1] == pytest.approx(clip.duration, abs=0.01)
    assert timeline.words[-1].end <= timeline.unaligned[-1][0] + 0.01
    assert all(p not in timeline.aligned_phones()
               for p in timeline.phones if p.start >= timeline.unaligned[-1][0])  # fmt: skip
    assert_contiguous(timeline, clip.duration)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["bobby", "mary", "arctic"])
def test_a_short_line_missing_half_its_words_falls_back_to_recognition(name):
    # Under a few seconds without a pause to cut at, nothing can be placed with confidence.
    path, text = english_clips()[name]
    words = text.split()
    timeline = align(audio(path), " ".join(words[: len(words) // 2]))
    assert timeline.source == "recognised"
    assert any("transcript does not match the audio" in w for w in timeline.warnings)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mfa", "bobby", "arctic", "LJ001-0002", "LJ001-0007"])
def test_a_transcript_with_extra_sentences_is_flagged(name):
    path, text = english_clips()[name]
    timeline = align(audio(path), text + " " + _other(name))
    assert timeline.warnings
    if timeline.source == "forced":  # what was said is placed, the rest reported unheard
        said = normalise_transcript(text)
        placed = [w.text for w in timeline.words]
        assert difflib.SequenceMatcher(None, placed, said).ratio() >= 0.8
        assert any("were not heard in the audio" in w for w in timeline.warnings)
    else:
        assert timeline.source == "recognised"


@pytest.mark.slow
def test_a_transcript_in_another_language_is_flagged():
    spanish = (MULTI / "13697_11991_000000.lab").read_text(encoding="utf-8")
    clip = audio(ENGLISH / "ljspeech" / "LJ001-0001.flac")
    timeline = align(clip, spanish)
    assert timeline.source == "recognised"
    assert timeline.warnings


@pytest.mark.slow
def test_words_missing_from_the_dictionary_align_with_rule_pronunciations():
    # The same sentence, with every word respelled so no dictionary knows it.
    clip = audio(ENGLISH / "praatio" / "bobby.wav")
    timeline = align(clip, "Bobbee ript thuh lejjer")
    assert timeline.source == "forced", timeline.warnings
    assert [w.text for w in timeline.words] == ["bobbee", "ript", "thuh", "lejjer"]
    error, _ = boundary_error(reference("bobby"), timeline)
    assert error <= 0.04


@pytest.mark.slow
def test_invented_words_that_are_not_spoken_are_a_mismatch_not_a_crash():
    clip = audio(ENGLISH / "praatio" / "mary.wav")
    timeline = align(clip, "voxrig Zyzzogeton skibidi")
    assert timeline.source == "recognised"
    assert timeline.warnings


def test_a_transcript_without_words_is_recognised_with_a_warning():
    clip = audio(ENGLISH / "praatio" / "bobby.wav")
    timeline = align(clip, " [sighs] ... ")
    assert timeline.source == "recognised"
    assert "no words" in timeline.warnings[0]


# ------------------------------------------------------------------------------ recognition
@pytest.mark.slow
@pytest.mark.parametrize("name", ["mfa", "bobby", "mary", "arctic"])
def test_recognised_phones_agree_with_the_reference_on_vowels_and_closures(name):
    path, _ = REFERENCE_CLIPS[name]
    clip = audio(path)
    timeline = recognise(clip)
    assert timeline.source == "recognised"
    assert timeline.words == []
    assert_contiguous(timeline, clip.duration)
    ref = reference(name)
    assert class_agreement(ref, timeline, VOWELS) >= 0.7
    assert class_agreement(ref, timeline, BILABIALS) >= 0.5


def phone_error_rate(ref, timeline: PhoneTimeline) -> float:
    """Edit distance between the speech phone sequences over the reference length."""
    r = [p[2] for p in ref if p[2] != "sil"]
    h = [p.label for p in timeline.phones if p.label != "sil"]
    row = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        previous, row = row, [i] + [0] * len(h)
        for j in range(1, len(h) + 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1,
                         previous[j - 1] + (r[i - 1] != h[j - 1]))  # fmt: skip
    return row[-1] / len(r)


@pytest.mark.slow
def test_recognised_phone_error_rate_over_the_reference_clips_is_below_half():
    rates = [phone_error_rate(reference(name), recognise(audio(path)))
             for name, (path, _) in REFERENCE_CLIPS.items()]  # fmt: skip
    assert float(np.mean(rates)) <= 0.5


@pytest.mark.slow
def test_long_audio_is_recognised_in_two_processes_with_the_same_result_quality():
    clip = audio(ENGLISH / "mfa" / "acoustic_corpus.wav")
    one = recognise(clip, AlignConfig(workers=1))
    two = recognise(clip, AlignConfig(workers=2, parallel_min_seconds=10.0))
    assert_contiguous(two, clip.duration)
    ref = reference("mfa")
    assert abs(class_agreement(ref, two, VOWELS) - class_agreement(ref, one, VOWELS)) < 0.05


def _recognise_in_pool_worker(path: Path) -> str:
    clip = audio(path)
    return recognise(clip, AlignConfig(workers=2, parallel_min_seconds=1.0)).source


@pytest.mark.slow
def test_recognition_inside_a_pool_worker_runs_in_one_process():
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(1) as pool:  # daemonic workers
        source = pool.apply(_recognise_in_pool_worker, (ENGLISH / "praatio" / "mary.wav",))
    assert source == "recognised"


def test_phones_for_aligns_with_a_transcript_and_recognises_without():
    clip = audio(ENGLISH / "praatio" / "bobby.wav")
    assert phones_for(clip, "Bobby ripped the ledger").source == "forced"
    assert phones_for(clip, None).source == "recognised"
    assert phones_for(clip, "   ").source == "recognised"


@pytest.mark.slow
def test_audio_at_another_sample_rate_is_resampled_for_the_model():
    clip = audio(ENGLISH / "praatio" / "bobby.wav")
    at_8k = Audio(clip.samples[::2].copy(), 8000, "bobby at 8 kHz")
    timeline = align(at_8k, "Bobby ripped the ledger")
    assert timeline.source == "forced"
    assert timeline.duration == pytest.approx(clip.duration, abs=1e-3)
    assert boundary_error(reference("bobby"), timeline)[0] <= 0.04


def test_silence_and_tiny_audio_give_one_silence_phone():
    quiet = audio_from_array(np.random.default_rng(0).normal(0, 1e-3, 16000), 16000)
    timeline = phones_for(quiet, None)
    assert_contiguous(timeline, quiet.duration)
    tiny = dataclasses.replace(quiet, samples=quiet.samples[:800])
    for result in (recognise(tiny), align(tiny, "hello")):
        assert [p.label for p in result.phones] == ["sil"]
        assert result.phones[-1].end == pytest.approx(tiny.duration)


# ------------------------------------------------------------------------ chunked alignment
def _split(clip: Audio, at_seconds: list[float]) -> list[Audio]:
    cuts = [0] + [int(s * clip.sample_rate) for s in at_seconds] + [len(clip.samples)]
    return [dataclasses.replace(clip, samples=clip.samples[a:b], offset=a / clip.sample_rate)
            for a, b in zip(cuts, cuts[1:], strict=False)]  # fmt: skip


@pytest.mark.slow
def test_chunked_alignment_spreads_the_transcript_over_the_chunks():
    clip = audio(ENGLISH / "mfa" / "acoustic_corpus.wav")
    text = _mfa_transcript()
    aligner = ChunkedAligner(text)
    chunks = _split(clip, [7.75, 14.4, 17.8])  # in pauses of the reference
    whole = []
    words = []
    for i, chunk in enumerate(chunks):
        timeline = aligner.next(chunk, is_last=i == len(chunks) - 1)
        assert timeline.source == "forced", timeline.warnings
        assert_contiguous(timeline, chunk.duration)
        whole += [dataclasses.replace(p, start=p.start + chunk.offset, end=p.end + chunk.offset)
                  for p in timeline.phones]  # fmt: skip
        words += [w.text for w in timeline.words]
    assert words == normalise_transcript(text)
    joined = PhoneTimeline(whole, clip.duration, "forced")
    error, matched = boundary_error(reference("mfa"), joined)
    assert matched >= 0.85
    assert error <= 0.03


@pytest.mark.slow
def test_chunked_alignment_recognises_what_the_transcript_does_not_cover():
    clip = audio(ENGLISH / "mfa" / "acoustic_corpus.wav")
    first, second = _split(clip, [14.4])
    words = normalise_transcript(_mfa_transcript())
    first_part = " ".join(words[: words.index("intensity") + 1])  # what the first chunk says
    aligner = ChunkedAligner(first_part)
    assert aligner.next(first, is_last=False).source == "forced"
    later = aligner.next(second, is_last=True)
    assert later.source == "recognised"
    assert "transcript ended before the audio" in later.warnings[0]


@pytest.mark.slow
def test_a_chunk_without_speech_uses_no_transcript_words():
    clip = audio(ENGLISH / "mfa" / "acoustic_corpus.wav")
    speech_a, speech_b = _split(clip, [14.4])
    hush = np.random.default_rng(1).normal(0, 2e-4, 3 * 16000).astype(np.float32)
    pause = dataclasses.replace(clip, samples=hush, offset=speech_b.offset)
    aligner = ChunkedAligner(_mfa_transcript())
    timelines = [aligner.next(c, is_last=i == 2) for i, c in enumerate([speech_a, pause, speech_b])]
    assert [t.source for t in timelines] == ["forced", "recognised", "forced"]
    assert timelines[1].warnings == []
    words = [w.text for t in timelines for w in t.words]
    assert words == normalise_transcript(_mfa_transcript())


@pytest.mark.slow
def test_a_sentence_of_the_transcript_that_was_never_said_is_skipped_with_a_warning():
    clip = audio(ENGLISH / "mfa" / "acoustic_corpus.wav")
    words = normalise_transcript(_mfa_transcript())
    split = words.index("intensity") + 1  # the end of what the first chunk says
    unsaid = normalise_transcript(_ljspeech()["LJ001-0002"][1])
    aligner = ChunkedAligner(" ".join(words[:split] + unsaid + words[split:]))
    chunks = _split(clip, [14.4, 17.8])
    timelines = [aligner.next(c, is_last=i == 2) for i, c in enumerate(chunks)]
    assert [t.source for t in timelines] == ["forced", "forced", "forced"]
    assert [w.text for t in timelines for w in t.words] == words
    assert any("were not heard" in w for w in timelines[1].warnings)


@pytest.mark.slow
def test_a_single_last_chunk_is_aligned_exactly_like_align():
    path, text = REFERENCE_CLIPS["arctic"]
    clip = audio(path)
    chunked = ChunkedAligner(text()).next(clip, is_last=True)
    direct = align(clip, text())
    assert chunked.source == direct.source == "forced"
    assert chunked.phones == direct.phones
    assert chunked.words == direct.words


def test_chunked_alignment_of_a_transcript_without_words_warns_once():
    clip = audio(ENGLISH / "praatio" / "mary.wav")
    aligner = ChunkedAligner("[laughs]")
    first, second = (aligner.next(chunk, is_last=i == 1)
                     for i, chunk in enumerate(_split(clip, [0.9])))  # fmt: skip
    assert first.source == second.source == "recognised"
    assert "no words" in first.warnings[0]
    assert second.warnings == []


def test_chunked_alignment_without_transcript_recognises_every_chunk():
    clip = audio(ENGLISH / "praatio" / "mary.wav")
    aligner = ChunkedAligner(None)
    for i, chunk in enumerate(_split(clip, [0.9])):
        timeline = aligner.next(chunk, is_last=i == 1)
        assert timeline.source == "recognised"
        assert timeline.warnings == []


# --------------------------------------------------------------------- odd and foreign input
def _multilingual() -> list[Path]:
    if not MULTI.is_dir():
        return []
    suffixes = {".wav", ".flac", ".mp3", ".opus"}
    return sorted(p for p in MULTI.iterdir() if p.suffix in suffixes)


@pytest.mark.slow
@pytest.mark.parametrize("path", _multilingual(), ids=lambda p: p.name)
def test_odd_and_foreign_speech_never_crashes(path):
    clip = load_audio(path)
    transcript = None
    for suffix in (".lab", ".txt"):
        if path.with_suffix(suffix).exists():
            transcript = path.with_suffix(suffix).read_text(encoding="utf-8")
    timeline = phones_for(clip, transcript)
    assert timeline.source in ("forced", "recognised")
    assert_contiguous(timeline, clip.duration)


# ------------------------------------------------------- speech nobody tuned the aligner for
MFA_SPEAKER = Path(__file__).resolve().parents[1] / "bench" / "data" / "mfa_speaker_transcripts.tsv"


def _mfa_speaker() -> list[tuple[str, str]]:
    rows = MFA_SPEAKER.read_text(encoding="utf-8").splitlines()
    return [tuple(r.split("\t")) for r in rows if r.strip() and not r.startswith("#")]


@pytest.mark.slow
def test_every_conversational_clip_of_the_mfa_speaker_aligns_to_its_transcript():
    # hesitations, restarts, breaths, creak, long pauses: none may drop the transcript, and
    # nearly every word is placed (a clip may be placed in part, the rest left to the model)
    dropped, placed, written = [], 0, 0
    for name, text in _mfa_speaker():
        timeline = align(audio(MULTI / f"{name}.flac"), text)
        if timeline.source != "forced":
            dropped.append((name, timeline.warnings))
        placed += len([w for w in timeline.words if w.text not in HESITATIONS])
        written += len([w for w in normalise_transcript(text) if w not in HESITATIONS])
    assert dropped == []
    assert placed >= 0.97 * written


@pytest.mark.slow
def test_hesitations_said_but_not_written_are_aligned_as_hesitations():
    # "montreal forced uh um uh hm hm um forced aligner", written without the hesitations:
    # the hums between the two "forced" get their own M, so the lips close in them.
    timeline = align(audio(MULTI / "mfa_uhum.flac"), "montreal forced forced aligner")
    assert timeline.source == "forced", timeline.warnings
    assert [w.text for w in timeline.words] == ["montreal", "forced", "forced", "aligner"]
    first, second = timeline.words[1], timeline.words[2]
    between = [p.label for p in timeline.phones if first.end <= p.start < second.start]
    assert between.count("M") >= 2


@pytest.mark.slow
@pytest.mark.parametrize(("name", "condition"), [
    *(("mfa_acoustic_corpus", c) for c in ("noise 10 dB", "reverb", "phone 8 kHz", "pauses",
                                           "fillers", "um written", "tempo 1.25")),
    # long real "ummm"s said inside short lines, which come out as several fillers in a row
    ("arctic_a0009", "fillers"), ("praatio_bobby", "fillers")])
def test_degraded_speech_still_aligns_to_its_transcript(name, condition, tmp_path):
    from bench import datasets, degrade

    clip = next(c for c in datasets.english_phone_clips() if c.name == name)
    chosen = next(c for c in degrade.CONDITIONS if c.name == condition)
    speech = degrade.degrade(degrade.from_clip(clip), chosen)
    path = degrade.write_wav(speech, tmp_path / "degraded.wav")
    timeline = align(load_audio(path), speech.transcript)
    assert timeline.source == "forced", timeline.warnings
    assert not timeline.unaligned
    assert not any("does not" in w for w in timeline.warnings)
    said = [w for w in normalise_transcript(speech.transcript) if w not in ("um", "uh")]
    assert len([w for w in timeline.words if w.text not in ("um", "uh")]) == len(said)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mfa", "LJ001-0001", "LJ001-0002", "LJ001-0007"])
def test_a_transcript_with_half_its_words_replaced_is_flagged(name):
    path, text = english_clips()[name]
    words, other = text.split(), _other(name).split()
    rng = np.random.default_rng(3)
    for i in rng.choice(len(words), len(words) // 2, replace=False):
        words[i] = other[int(rng.integers(len(other)))]
    timeline = align(audio(path), " ".join(words))
    assert timeline.source == "recognised"
    assert any("transcript does not match the audio" in w for w in timeline.warnings)


def test_pronunciations_list_every_dictionary_entry_first_one_first_and_invent_the_rest():
    from voxrig.core.align import pronunciations

    the, voxrig = pronunciations(["the", "voxrig"], AlignConfig())
    assert the == [["DH", "AH"], ["DH", "IY"]]  # CMUdict's "the" and "the(2)"
    assert len(voxrig) == 1 and voxrig[0][0] == "V"  # not in CMUdict: letter-to-sound


@pytest.mark.parametrize("name", ["multilingual_ipa_us_4", "multilingual_ipa_us_2"])
def test_speech_too_fast_for_the_phone_models_is_aligned_slowed_down(name):
    # podcast lines of 19 words in 3.5 s and 13 in 2.4 s: at the recorded tempo pocketsphinx
    # finds no path (no phone under 30 ms); slowed down they fit, and the times come back
    clip = audio(MULTI / f"{name}.flac")
    text = (MULTI / f"{name}.txt").read_text()
    timeline = align(clip, text)
    assert timeline.source == "forced", timeline.warnings
    assert [w.text for w in timeline.words if w.text not in HESITATIONS] == [
        w for w in normalise_transcript(text) if w not in HESITATIONS]
    assert timeline.phones[-1].end == pytest.approx(clip.duration)
    assert all(0.0 <= w.start < w.end <= clip.duration for w in timeline.words)
    # the last word ends near the end of the speech, not 1.5x later
    assert timeline.words[-1].end > 0.7 * clip.duration


def test_a_wrong_transcript_on_fast_speech_is_not_slowed_into_place():
    # the slowed alignment is tried only when a word recogniser hears the transcript's words
    clip = audio(MULTI / "multilingual_ipa_us_2.flac")
    other = (MULTI / "multilingual_ipa_us_3.txt").read_text()
    timeline = align(clip, other)
    assert timeline.source == "recognised"
    assert any("transcript does not match the audio" in w for w in timeline.warnings)


def test_words_heard_in_order_count_the_longest_common_run():
    from voxrig.core.align import _in_order

    assert _in_order(["fail", "it", "instead"], ["it", "is", "fail", "instead"]) == 2
    assert _in_order(["josh", "finished", "decided"], ["decided", "josh"]) == 1
    assert _in_order([], ["any"]) == 0 and _in_order(["any"], []) == 0
