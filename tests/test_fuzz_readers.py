"""Property-based fuzzing of every reader of a file a user hands voxrig: whatever the bytes,
the reader returns or raises the project's own error with one line naming the file (never
another exception, a traceback or a numpy warning). See tests/fuzz.py for the run length."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from fuzz import FUZZ, check_reader, documents, fuzz_settings
from hypothesis import given
from hypothesis import strategies as st

from voxrig.bridge.clipio import clip_to_csv, load_clip
from voxrig.bridge.exporters import EXPORTERS, ExportOptions, export
from voxrig.bridge.transcripts import transcript_from
from voxrig.core.audio import load_audio
from voxrig.core.channel_names import load_mapping, mapping_to_dict, style_names
from voxrig.core.clip import Clip, to_dict
from voxrig.core.emotion.tags import Segment, load_timeline, parse_tags, timeline_to_dict
from voxrig.core.names import ARKIT52, OVR15
from voxrig.core.transcript import normalise_transcript


def _clip() -> Clip:
    rng = np.random.default_rng(0)
    frames = 3
    return Clip(fps=30.0, weights=rng.random((frames, 52)),
                keypoints=rng.normal(0, 0.1, (frames, 68, 3)), head=rng.normal(0, 2, (frames, 3)),
                visemes=rng.random((frames, 15)), emotion=rng.random((frames, 2)),
                emotion_names=("happy", "sad"),
                meta={"source": "line.wav", "phones": [["sil", 0.0, 0.05], ["AA", 0.05, 0.1]],
                      "words": [["a", 0.05, 0.1]], "warnings": []})


VALID_CLIP = to_dict(_clip())
VALID_TIMELINE = timeline_to_dict([Segment(0.0, 1.0, "sad", 0.5), Segment(1.0, 2.0, "happy")])
VALID_MAPPING = mapping_to_dict(style_names("pascal"))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(content=documents(VALID_CLIP))
def test_any_clip_json_loads_or_is_a_one_line_error(folder, content):
    check_reader(load_clip, folder / "clip.json", content)


def _csv_cell() -> st.SearchStrategy[str]:
    numbers = st.floats(allow_nan=True, allow_infinity=True).map(repr)
    return st.one_of(numbers, st.sampled_from(["0", "0.5", "1", "", "nan", "-0"]),
                     st.text(max_size=6))


@st.composite
def _csv_documents(draw: st.DrawFn) -> bytes:
    """A voxrig CSV with its header, times or cells changed, or any text."""
    valid = clip_to_csv(_clip()).decode("utf-8")
    names = st.sampled_from(["time", *ARKIT52[:4], *(f"viseme_{n}" for n in OVR15[:3]),
                             "5", "", "jawOpen"]) | st.text(max_size=6)
    header = draw(st.lists(names, min_size=1, max_size=6))
    rows = draw(st.lists(st.lists(_csv_cell(), min_size=len(header), max_size=len(header) + 1),
                         max_size=5))
    table = "\n".join(",".join(row) for row in [header, *rows])
    choice = draw(st.integers(0, 2))
    if choice == 0:
        return table.encode("utf-8")
    if choice == 1:
        return valid[:draw(st.integers(0, len(valid)))].encode("utf-8")
    return b"time," + draw(st.binary(max_size=100))


@FUZZ
@given(content=_csv_documents())
def test_any_clip_csv_loads_or_is_a_one_line_error(folder, content):
    check_reader(load_clip, folder / "clip.csv", content)


@FUZZ
@given(content=documents(VALID_TIMELINE))
def test_any_emotion_timeline_loads_or_is_a_one_line_error(folder, content):
    check_reader(load_timeline, folder / "mood.json", content)


@FUZZ
@given(content=documents(VALID_MAPPING))
def test_any_name_mapping_loads_or_is_a_one_line_error(folder, content):
    check_reader(load_mapping, folder / "names.json", content)


def _read_transcript(path: Path) -> None:
    """What a bake does with `--text FILE` before aligning: read, take the tags out,
    normalise the words."""
    plain, _ = parse_tags(transcript_from(str(path), None))
    normalise_transcript(plain)


_transcript_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=80) | st.lists(
    st.sampled_from(["[happy]", "[sad:0.4]", "[angry:7]", "$3.50", "21st", "3.14", "100%",
                     "Dr.", "don't", "--", "é", "\u200b", "\ufeff", "\x00", " ", "\n"]),
    max_size=12).map("".join)


@FUZZ
@given(content=_transcript_text.map(lambda t: t.encode("utf-8")) | st.binary(max_size=100))
def test_any_transcript_file_reads_or_is_a_one_line_error(folder, content):
    check_reader(_read_transcript, folder / "line.txt", content)


def _audio_bytes(kind: str) -> bytes:
    t = np.arange(3200) / 16000
    buffer = io.BytesIO()
    sf.write(buffer, 0.3 * np.sin(2 * np.pi * 220 * t), 16000, format=kind, subtype="PCM_16")
    return buffer.getvalue()


@st.composite
def _damaged(draw: st.DrawFn, valid: bytes) -> bytes:
    """A real file with bytes overwritten (most in the header), cut short, or any bytes."""
    choice = draw(st.integers(0, 2))
    if choice == 2:
        return draw(st.binary(max_size=300))
    data = bytearray(valid[:draw(st.integers(0, len(valid)))] if choice == 1 else valid)
    for _ in range(draw(st.integers(0 if choice == 1 else 1, 8))):
        if not data:
            break
        at = draw(st.integers(0, min(len(data) - 1, draw(st.sampled_from([64, len(data)])))))
        data[at] = draw(st.integers(0, 255))
    return bytes(data)


@FUZZ
@given(content=_damaged(_audio_bytes("WAV")))
def test_any_wav_file_loads_or_is_a_one_line_error(folder, content):
    check_reader(load_audio, folder / "line.wav", content)


@FUZZ
@given(content=_damaged(_audio_bytes("FLAC")))
def test_any_flac_file_loads_or_is_a_one_line_error(folder, content):
    check_reader(load_audio, folder / "line.flac", content)


@st.composite
def _clip_files(draw: st.DrawFn) -> bytes:
    """Clip files the reader accepts, at the edges of what it accepts: any frame rate it
    reads, one to six frames, weights at 0 and 1 and tiny, phones anywhere in time."""
    fps = draw(st.floats(1.0, 1000.0))
    frames = draw(st.integers(1, 6))
    weight = st.sampled_from([0.0, 1.0, 1e-38, 0.5]) | st.floats(0.0, 1.0)
    time = st.floats(-1e6, 1e6)
    clip = Clip(
        fps=fps,
        weights=draw(st.lists(st.lists(weight, min_size=52, max_size=52), min_size=frames,
                              max_size=frames)),
        duration=draw(st.floats((frames - 1) / fps, frames / fps)),
        visemes=np.full((frames, 15), draw(weight)) if draw(st.booleans()) else None,
        head=np.full((frames, 3), draw(st.floats(-1e30, 1e30))) if draw(st.booleans()) else None,
        meta={"phones": draw(st.lists(st.tuples(st.sampled_from(["sil", "AA", "P", "xx"]),
                                                time, time).map(list), max_size=4))},
    )
    return json.dumps(to_dict(clip)).encode()


EXPORT_KINDS = [kind for kind in EXPORTERS if kind != "gltf"]  # gltf: 1 s a file (builds a head)


@fuzz_settings(40)  # eight exports an input: ~5 s
@given(content=_clip_files())
def test_any_clip_the_reader_accepts_exports_to_every_format(folder, content):
    def export_all(path: Path) -> None:
        clip = load_clip(path)
        for kind in EXPORT_KINDS:
            if kind == "visemes" and clip.visemes is None:
                continue  # the CLI refuses it first, naming the clip
            export(clip, folder / f"out.{kind}", kind, ExportOptions(name="fuzz"))

    check_reader(export_all, folder / "accepted.json", content)
