"""voxrig batch --dask --send-audio: the audio's bytes travel with each task, so a worker
needs no access to the client's files; the outputs are those of single bakes."""

from __future__ import annotations

from pathlib import Path

import pytest
from batch_lines import CORRUPT_WAV, LJSPEECH, SHORT, same_clip, single_bake, write_lines

from voxrig.bridge.batch import Line, SentLine, bake_sent_line, dask_cluster, run


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
        assert same_clip((out / name).read_bytes(),
                         single_bake(lines_folder / f"{stem}.flac", text, name))


def test_send_audio_without_dask_is_a_one_line_error(lines_folder, tmp_path, capsys):
    from voxrig.bridge.cli import main

    assert main(["batch", str(lines_folder), "-o", str(tmp_path / "out"), "--send-audio"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "voxrig: error: --send-audio is for --dask workers; local workers read the files"]
    assert not (tmp_path / "out").exists()


def test_a_cluster_gets_lines_a_window_at_a_time_and_an_unreadable_file_fails_alone(
        lines_folder, tmp_path):
    """One line in flight at a time; the first line's file is gone by the time it is sent
    (after its key was taken): that line fails naming it, the others bake as single bakes."""
    gone = tmp_path / "gone.flac"
    lines = [Line(str(gone), None, "gone.voxrig.json")]
    lines += [Line(str(lines_folder / f"{stem}.flac"), text, f"{stem}.voxrig.json")
              for stem, text in SHORT.items()]
    results = dict(dask_cluster("local", send_audio=True, in_flight=1)(lines))
    assert sorted(results) == [0, 1, 2]
    assert results[0] == (None, f"cannot read {str(gone)!r}: No such file or directory")
    for number, (stem, text) in enumerate(SHORT.items(), 1):
        data, error = results[number]
        assert error is None
        assert same_clip(data, single_bake(lines_folder / f"{stem}.flac", text,
                                           f"{stem}.voxrig.json"))
