"""Clip files are written a block of frames at a time (a 2-hour clip is never one string in
memory), byte for byte the file the whole-clip serialisation gives."""

import json
import subprocess
import sys

import numpy as np
import pytest

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
    assert written == json.loads(json.dumps(expected))
