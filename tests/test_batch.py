"""voxrig batch: a folder of real clips baked like single bakes, incrementally and resumably."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from batch_lines import LJSPEECH, SHORT, same_clip, single_bake, write_lines

from voxrig.bridge.batch import FAILED_NAME, read_lines, run
from voxrig.bridge.exporters import EXPORTERS, ExportOptions
from voxrig.core.bake import bake
from voxrig.core.config import Config


@pytest.fixture()
def lines_folder(tmp_path: Path) -> Path:
    """Two real short lines (one with its transcript), a corrupt file and a silent one."""
    folder = write_lines(tmp_path / "lines")
    sf.write(folder / "silent.wav", np.zeros(32000, np.float32), 16000)
    return folder


def test_each_line_is_written_as_a_single_bake_of_it_writes_it(lines_folder, tmp_path):
    out = tmp_path / "out"
    summary = run(lines_folder, out, workers=1)
    assert sorted(summary.done) == ["LJ001-0002.voxrig.json", "LJ001-0008.voxrig.json"]
    for stem, text in SHORT.items():
        name = f"{stem}.voxrig.json"
        assert (out / name).read_bytes() == single_bake(lines_folder / f"{stem}.flac", text,
                                                         name)


def test_a_corrupt_and_a_silent_file_fail_alone_with_their_one_line_errors(lines_folder,
                                                                          tmp_path):
    out = tmp_path / "out"
    summary = run(lines_folder, out, workers=1)
    assert set(summary.failed) == {"corrupt.voxrig.json", "silent.voxrig.json"}
    assert len(summary.done) == 2
    rows = [json.loads(x) for x in (out / FAILED_NAME).read_text().splitlines()]
    errors = {row["output"]: row["error"] for row in rows}
    assert "silent" in errors["silent.voxrig.json"]
    assert all("\n" not in e and "corrupt.wav" in errors["corrupt.voxrig.json"]
               for e in errors.values())


def test_failed_jsonl_is_a_manifest_that_reruns_the_failed_lines(lines_folder, tmp_path):
    out = tmp_path / "out"
    run(lines_folder, out, workers=1)
    again = read_lines(out / FAILED_NAME)
    assert sorted(Path(line.audio).name for line in again) == ["corrupt.wav", "silent.wav"]


def test_a_rerun_with_nothing_changed_skips_every_baked_line(lines_folder, tmp_path):
    out = tmp_path / "out"
    run(lines_folder, out, workers=1)
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.voxrig.json")}
    summary = run(lines_folder, out, workers=1)
    assert summary.done == [] and len(summary.skipped) == 2
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.voxrig.json")} == before


def test_a_changed_transcript_re_bakes_only_its_line(lines_folder, tmp_path):
    out = tmp_path / "out"
    run(lines_folder, out, workers=1)
    (lines_folder / "LJ001-0002.txt").write_text("in being modern.", encoding="utf-8")
    summary = run(lines_folder, out, workers=1)
    assert summary.done == ["LJ001-0002.voxrig.json"]
    assert summary.skipped == ["LJ001-0008.voxrig.json"]
    assert json.loads((out / "LJ001-0002.voxrig.json").read_text())["meta"]["transcript"] \
        == "in being modern."


def test_an_output_edited_by_hand_is_kept_and_reported(lines_folder, tmp_path):
    out = tmp_path / "out"
    run(lines_folder, out, workers=1)
    edited = out / "LJ001-0008.voxrig.json"
    edited.write_bytes(edited.read_bytes() + b"\n")  # an animator's touch-up
    mine = edited.read_bytes()
    (lines_folder / "LJ001-0008.txt").write_text("a changed transcript", encoding="utf-8")
    summary = run(lines_folder, out, workers=1)
    assert summary.kept == ["LJ001-0008.voxrig.json"]
    assert edited.read_bytes() == mine


def test_overwrite_edited_re_bakes_an_output_edited_by_hand(lines_folder, tmp_path):
    out = tmp_path / "out"
    run(lines_folder, out, workers=1)
    edited = out / "LJ001-0008.voxrig.json"
    edited.write_bytes(edited.read_bytes() + b" ")
    summary = run(lines_folder, out, workers=1, overwrite_edited=True)
    assert summary.done == ["LJ001-0008.voxrig.json"] and summary.kept == []
    assert edited.read_bytes() == single_bake(lines_folder / "LJ001-0008.flac", None,
                                               edited.name)


def test_a_manifest_line_carries_its_own_options_and_output_name(lines_folder, tmp_path):
    manifest = tmp_path / "lines.jsonl"
    manifest.write_text(json.dumps({"audio": str(lines_folder / "LJ001-0008.flac"),
                                    "output": "bark.csv", "format": "csv", "fps": 24}) + "\n")
    summary = run(manifest, tmp_path / "out", workers=1)
    assert summary.done == ["bark.csv"]
    clip = bake(lines_folder / "LJ001-0008.flac", None, Config(fps=24))
    assert (tmp_path / "out" / "bark.csv").read_bytes() == \
        EXPORTERS["csv"].write(clip, ExportOptions())


def test_a_manifest_line_can_leave_out_the_heard_phones_and_a_bad_setting_fails_it(
        lines_folder, tmp_path):  # fmt: skip
    manifest = tmp_path / "lines.jsonl"
    audio = str(lines_folder / "LJ001-0008.flac")
    manifest.write_text(json.dumps({"audio": audio, "output": "plain.json",
                                    "heard_phones": "off"}) + "\n"
                        + json.dumps({"audio": audio, "output": "bad.json",
                                      "heard_phones": "maybe"}) + "\n")
    summary = run(manifest, tmp_path / "out", workers=1)
    assert summary.done == ["plain.json"]
    assert "heard_phones must be on or off" in summary.failed["bad.json"]
    config = Config()
    config.animator.heard_phones = False
    clip = bake(lines_folder / "LJ001-0008.flac", None, config)
    assert (tmp_path / "out" / "plain.json").read_bytes() == \
        EXPORTERS["json"].write(clip, ExportOptions(name="plain", sound_file=audio))


def test_two_worker_processes_write_what_one_process_writes(lines_folder, tmp_path):
    run(lines_folder, tmp_path / "one", workers=1)
    run(lines_folder, tmp_path / "two", workers=2)
    for name in ("LJ001-0002.voxrig.json", "LJ001-0008.voxrig.json"):
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes()


def test_a_batch_killed_mid_run_resumes_to_the_outputs_of_an_uninterrupted_run(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for number in range(6):  # the same short line under six names: several lines to kill in
        shutil.copy(LJSPEECH / "LJ001-0008.flac", folder / f"line{number}.flac")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "voxrig.bridge.cli", "batch", str(folder), "-o",
               str(out), "--workers", "1", "-q"]
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(out.glob("*.voxrig.json")) and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    written = len(list(out.glob("*.voxrig.json")))
    assert 0 < written < 6, "the kill did not land mid-run"
    summary = run(folder, out, workers=1)
    assert len(summary.done) + len(summary.skipped) == 6 and summary.kept == []
    run(folder, tmp_path / "whole", workers=1)
    for path in (tmp_path / "whole").glob("*.voxrig.json"):
        assert (out / path.name).read_bytes() == path.read_bytes()
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]



def test_a_dask_local_cluster_writes_what_the_local_pool_writes(lines_folder, tmp_path):
    run(lines_folder, tmp_path / "pool", workers=1)
    summary = run(lines_folder, tmp_path / "dask", dask="local")
    assert len(summary.done) == 2 and set(summary.failed) == {"corrupt.voxrig.json",
                                                              "silent.voxrig.json"}
    for name in summary.done:
        assert same_clip((tmp_path / "dask" / name).read_bytes(),
                         (tmp_path / "pool" / name).read_bytes())


def test_a_dask_rerun_skips_and_a_changed_transcript_re_bakes_on_the_cluster(lines_folder,
                                                                            tmp_path):
    out = tmp_path / "dask"
    run(lines_folder, out, dask="local")
    (lines_folder / "LJ001-0002.txt").write_text("in being modern.", encoding="utf-8")
    summary = run(lines_folder, out, dask="local")
    assert summary.done == ["LJ001-0002.voxrig.json"]
    assert summary.skipped == ["LJ001-0008.voxrig.json"]


def test_the_command_prints_one_summary_line_and_exits_1_when_a_line_failed(lines_folder,
                                                                           tmp_path, capsys):
    from voxrig.bridge.cli import main

    assert main(["batch", str(lines_folder), "-o", str(tmp_path / "out"), "--workers", "1",
                 "-q"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"voxrig batch: 2 done / 0 skipped / 2 failed / 0 kept (edited) "
        f"(see {tmp_path / 'out'}/failed.jsonl)"]
