"""voxrig batch --dask --send-audio: the audio's bytes travel with each task, so a worker
needs no access to the client's files; the outputs are those of single bakes."""

from __future__ import annotations

from pathlib import Path

import pytest
from batch_lines import CORRUPT_WAV, LJSPEECH, SHORT, single_bake, write_lines

from voxrig.bridge.batch import Line, SentLine, bake_sent_line, run


@pytest.fixture()
def lines_folder(tmp_path: Path) -> Path:
    """Two real short lines, one with its transcript, and a corrupt file."""
    return write_lines(tmp_path / "lines")


def test_a_sent_line_bakes_from_its_bytes_where_its_path_does_not_exist():
    audio = LJSPEECH / "LJ001-0002.flac"
    elsewhere = "/on/the/client/only/LJ001-0002.flac"  # no such file on this machine
    assert not Path(elsewhere).exists()
    line = Line(elsewhere, SHORT["LJ001-0002"], "LJ001-0002.voxrig.json")
    data, error = bake_sent_line(SentLine(line, audio.read_bytes()))
    assert error is None
    # the same bake as of the file itself; the output names the client's path, not a copy
    expected = single_bake(audio, SHORT["LJ001-0002"], line.output)
    assert data == expected.replace(str(audio).encode(), elsewhere.encode())


def test_a_sent_corrupt_file_fails_with_an_error_naming_the_clients_path():
    line = Line("/on/the/client/only/corrupt.wav", None, "corrupt.voxrig.json")
    data, error = bake_sent_line(SentLine(line, CORRUPT_WAV))
    assert data is None
    assert "/on/the/client/only/corrupt.wav" in error and "voxrig-batch-" not in error


def test_send_audio_on_a_dask_local_cluster_writes_what_single_bakes_write(lines_folder,
                                                                           tmp_path):
    out = tmp_path / "out"
    summary = run(lines_folder, out, dask="local", send_audio=True)
    assert sorted(summary.done) == ["LJ001-0002.voxrig.json", "LJ001-0008.voxrig.json"]
    assert set(summary.failed) == {"corrupt.voxrig.json"}
    for stem, text in SHORT.items():
        name = f"{stem}.voxrig.json"
        assert (out / name).read_bytes() == single_bake(lines_folder / f"{stem}.flac", text,
                                                         name)


def test_send_audio_without_dask_is_a_one_line_error(lines_folder, tmp_path, capsys):
    from voxrig.bridge.cli import main

    assert main(["batch", str(lines_folder), "-o", str(tmp_path / "out"), "--send-audio"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "voxrig: error: --send-audio is for --dask workers; local workers read the files"]
    assert not (tmp_path / "out").exists()
