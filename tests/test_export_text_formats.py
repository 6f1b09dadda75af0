"""Rhubarb JSON / TSV, Moho .dat and OVR viseme CSV, each read back with a plain reader (json,
csv) and checked against the layout the original tools write."""

import csv
import io
import json

import numpy as np
import pytest

from voxrig.bridge.exporters import ExportOptions, moho, rhubarb, visemes_csv
from voxrig.core.clip import Clip
from voxrig.core.errors import VoxrigError
from voxrig.core.mouth_shapes import mouth_cues
from voxrig.core.names import ARKIT52, OVR15


def speech_clip(fps=30.0):
    """Silence, 'mama' (M AA M AA), silence, 'fee' (F IY), silence; lengths in frames."""
    segments = [("sil", 12, {}), ("M", 3, {"mouthClose": 0.2, "jawOpen": 0.05}),
                ("AA", 6, {"jawOpen": 0.35}), ("M", 3, {"mouthClose": 0.2, "jawOpen": 0.05}),
                ("AA", 6, {"jawOpen": 0.35}), ("sil", 15, {}),
                ("F", 3, {"mouthRollLower": 0.4}), ("IY", 6, {"jawOpen": 0.05}),
                ("sil", 12, {})]
    frames, phones, start = [], [], 0
    for phone, n, pose in segments:
        w = np.zeros((n, 52), np.float32)
        for name, value in pose.items():
            w[:, ARKIT52.index(name)] = value
        frames.append(w)
        phones.append([phone, start / fps, (start + n) / fps])
        start += n
    weights = np.vstack(frames)
    visemes = np.full((len(weights), 15), 1 / 15, np.float32)
    return Clip(fps=fps, weights=weights, duration=start / fps, visemes=visemes,
                meta={"phones": phones, "source": "mama.wav"})


def test_rhubarb_json_has_rhubarbs_exact_layout():
    text = rhubarb.write_json(speech_clip(), ExportOptions(sound_file="/data/mama.wav")).decode()
    lines = text.splitlines()
    assert lines[:4] == ['{', '  "metadata": {', '    "soundFile": "/data/mama.wav",',
                         '    "duration": 2.20']
    assert lines[4:6] == ["  },", '  "mouthCues": [']
    assert lines[6] == '    { "start": 0.00, "end": 0.40, "value": "X" },'
    assert lines[-2:] == ["  ]", "}"] and text.endswith("}\n")


def test_rhubarb_json_cues_cover_the_clip_contiguously_and_end_at_rest():
    clip = speech_clip()
    data = json.loads(rhubarb.write_json(clip, ExportOptions()))
    cues = data["mouthCues"]
    assert data["metadata"] == {"soundFile": "mama.wav", "duration": 2.20}
    assert cues[0]["start"] == 0 and cues[-1]["end"] == pytest.approx(clip.duration, abs=0.005)
    assert all(a["end"] == b["start"] for a, b in zip(cues, cues[1:], strict=False))
    assert cues[-1]["value"] == "X"
    assert "".join(c["value"] for c in cues) == "XADADXGBX"


def test_rhubarb_tsv_lists_cue_starts_then_the_end_with_x():
    clip = speech_clip()
    rows = list(csv.reader(io.StringIO(rhubarb.write_tsv(clip, ExportOptions()).decode()),
                           delimiter="\t"))
    cues = json.loads(rhubarb.write_json(clip, ExportOptions()))["mouthCues"]
    assert rows[:-1] == [[f"{c['start']:.2f}", c["value"]] for c in cues]
    assert rows[-1] == ["2.20", "X"]


def test_moho_dat_switches_preston_blair_mouths_on_one_based_frames():
    clip = speech_clip(fps=24.0)
    lines = moho.write(clip, ExportOptions()).decode().splitlines()
    assert lines[0] == "MohoSwitch1"
    rows = [(int(f), name) for f, name in (line.split(" ") for line in lines[1:])]
    assert rows[0] == (1, "rest")
    frames = [f for f, _ in rows]
    assert frames == sorted(set(frames))
    names = [n for _, n in rows]
    assert names == ["rest", "MBP", "AI", "MBP", "AI", "rest", "FV", "etc", "rest"]
    cues = mouth_cues(clip)
    assert frames[1:-1] == [1 + int(c.start * 24 + 1e-6) for c in cues[1:-1]]
    assert set(names) <= set(moho.PRESTON_BLAIR.values())


def test_viseme_csv_has_ovr_columns_and_one_row_per_frame():
    clip = speech_clip()
    rows = list(csv.reader(io.StringIO(visemes_csv.write(clip, ExportOptions()).decode())))
    assert rows[0] == ["time", *OVR15]
    table = np.array([[float(x) for x in r] for r in rows[1:]])
    assert table.shape == (clip.frame_count, 16)
    assert np.allclose(table[:, 0], clip.times, atol=1e-5)
    assert np.allclose(table[:, 1:], clip.visemes, atol=1e-5)


def test_viseme_csv_of_a_clip_without_visemes_says_how_to_get_them():
    clip = speech_clip().with_(visemes=None)
    with pytest.raises(VoxrigError, match="bake with --visemes"):
        visemes_csv.write(clip, ExportOptions())


def test_a_clip_too_short_for_a_centisecond_still_has_one_rest_cue():
    clip = Clip(fps=30.0, weights=np.zeros((1, 52), np.float32), duration=0.004)
    data = json.loads(rhubarb.write_json(clip, ExportOptions()))
    assert data["mouthCues"] == [{"start": 0.0, "end": 0.0, "value": "X"}]
    assert rhubarb.write_tsv(clip, ExportOptions()).decode() == "0.00\tX\n0.00\tX\n"
    assert moho.write(clip, ExportOptions()).decode() == "MohoSwitch1\n1 rest\n"
