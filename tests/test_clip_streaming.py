"""Clip files are written a block of frames at a time (a 2-hour clip is never one string in
memory), byte for byte the file the whole-clip serialisation gives."""

import json
import subprocess
import sys

import numpy as np
import pytest
from batch_lines import same_clip

from voxrig.bridge import clipio
from voxrig.bridge.cli import SAMPLE_AUDIO
from voxrig.bridge.clipio import load_clip, save_clip
from voxrig.core.bake import bake
from voxrig.core.clip import to_dict
from voxrig.core.config import Config


@pytest.fixture(scope="module")
def baked():
    """The bundled LJSpeech sample baked with every array a clip file can hold."""
    return bake(SAMPLE_AUDIO, None, Config(visemes=True, keypoints=True))


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 7 frames, so the 290-frame sample is written in many uneven blocks."""
    monkeypatch.setattr(clipio, "ROWS_PER_BLOCK", 7)


def test_json_written_in_blocks_is_the_compact_dump_of_the_clip(baked, small_blocks, tmp_path):
    path = tmp_path / "line.json"
    save_clip(baked, path)
    assert baked.frame_count > 7 * 10
    assert path.read_bytes() == json.dumps(to_dict(baked), separators=(",", ":")).encode()


def test_json_written_in_blocks_reads_back_as_the_same_clip(baked, small_blocks, tmp_path):
    path = tmp_path / "line.json"
    save_clip(baked, path)
    loaded = load_clip(path)
    np.testing.assert_allclose(loaded.weights, baked.weights, atol=5e-6)
    np.testing.assert_allclose(loaded.keypoints, baked.keypoints, atol=5e-6)
    np.testing.assert_allclose(loaded.visemes, baked.visemes, atol=5e-6)
    assert loaded.meta == baked.meta


def test_csv_does_not_depend_on_the_block_size(baked, monkeypatch, tmp_path):
    whole, blocks = tmp_path / "whole.csv", tmp_path / "blocks.csv"
    save_clip(baked, whole)
    monkeypatch.setattr(clipio, "ROWS_PER_BLOCK", 7)
    save_clip(baked, blocks)
    assert blocks.read_bytes() == whole.read_bytes()
    assert len(whole.read_text().splitlines()) == baked.frame_count + 1


def test_cli_bake_writes_the_clip_the_python_bake_returns(baked, tmp_path):
    out = tmp_path / "line.json"
    subprocess.run([sys.executable, "-m", "voxrig.bridge.cli", "bake", str(SAMPLE_AUDIO),
                    "--visemes", "--keypoints", "--quiet", "-o", str(out)], check=True)
    written = json.loads(out.read_bytes())
    expected = to_dict(baked)
    written["meta"].pop("source"), expected["meta"].pop("source")
    assert same_clip(written, json.loads(json.dumps(expected)))


def test_export_refuses_a_clip_past_its_size_limit_in_one_line(baked, tmp_path):
    """A 60-minute clip (the sample's frames repeated) is over export's 32 MB."""
    repeats = 60 * 60 * 30 // baked.frame_count
    long = baked.with_(weights=np.tile(baked.weights, (repeats, 1)),
                       visemes=np.tile(baked.visemes, (repeats, 1)), keypoints=None,
                       head=None, emotion=None,
                       duration=repeats * baked.frame_count / baked.fps)
    source = tmp_path / "long.json"
    save_clip(long, source)
    assert source.stat().st_size > clipio.MAX_EXPORT_BYTES
    run = subprocess.run([sys.executable, "-m", "voxrig.bridge.cli", "export", str(source),
                          "-o", str(tmp_path / "long.anim")], capture_output=True, text=True)
    size = source.stat().st_size / 1024**2
    assert (run.returncode, run.stderr) == (1, (
        f"voxrig: error: {str(source)!r} is too large to export ({size:.1f} MB; export reads "
        "clips up to 32 MB, about 45 minutes at 30 fps): bake the audio in shorter pieces\n"))
    assert not (tmp_path / "long.anim").exists()
