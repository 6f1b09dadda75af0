"""The clip and its voxrig.clip JSON / CSV files."""

import json

import numpy as np
import pytest

from voxrig.bridge.clipio import load_clip, save_clip
from voxrig.core.clip import Clip, frame_count_for, from_dict, to_dict
from voxrig.core.errors import ClipFormatError, VoxrigError
from voxrig.core.names import ARKIT52, OVR15


def make_clip(frames: int = 5, fps: float = 30.0, **extra) -> Clip:
    rng = np.random.default_rng(0)
    return Clip(fps=fps, weights=rng.random((frames, 52), dtype=np.float32), **extra)


def test_clip_defaults_to_arkit52_channels_in_canonical_order():
    clip = make_clip()
    assert clip.channels == ARKIT52
    assert clip.channels[17] == "jawOpen" and clip.channels[-1] == "tongueOut"


def test_frame_i_is_at_time_i_over_fps():
    clip = make_clip(frames=4, fps=25)
    assert clip.times.tolist() == [0.0, 0.04, 0.08, 0.12]


def test_frame_count_covers_the_audio_with_the_last_frame_inside_it():
    assert frame_count_for(1.0, 30) == 31
    assert frame_count_for(0.999, 30) == 30
    assert frame_count_for(10.0, 29.97) == 300


def test_json_object_has_exactly_the_documented_fields():
    clip = make_clip(
        frames=3,
        visemes=np.full((3, 15), 1 / 15, np.float32),
        keypoints=np.zeros((3, 68, 3), np.float32),
    )
    data = to_dict(clip)
    assert list(data) == ["format", "version", "fps", "frame_count", "duration", "channels",
                          "weights", "keypoints", "visemes", "meta"]
    assert data["format"] == "voxrig.clip" and data["version"] == 1
    assert data["frame_count"] == 3 and len(data["weights"]) == 3 and len(data["weights"][0]) == 52
    assert data["keypoints"]["layout"] == "multipie68"
    assert data["keypoints"]["units"] == "cm" and data["keypoints"]["kind"] == "displacement"
    assert np.shape(data["keypoints"]["frames"]) == (3, 68, 3)
    assert data["visemes"]["set"] == "ovr15" and data["visemes"]["names"] == list(OVR15)


def test_json_round_trip_keeps_every_track(tmp_path):
    clip = make_clip(
        frames=7,
        fps=29.97,
        visemes=np.full((7, 15), 1 / 15, np.float32),
        keypoints=np.random.default_rng(1).normal(size=(7, 68, 3)).astype(np.float32),
        meta={"source": "x.wav"},
    )
    path = tmp_path / "clip.json"
    save_clip(clip, path)
    back = load_clip(path)
    assert back.fps == clip.fps and back.frame_count == 7 and back.channels == clip.channels
    np.testing.assert_allclose(back.weights, clip.weights, atol=1e-5)
    np.testing.assert_allclose(back.visemes, clip.visemes, atol=1e-5)
    np.testing.assert_allclose(back.keypoints, clip.keypoints, atol=1e-5)
    assert back.meta == {"source": "x.wav"}


def test_csv_has_time_then_channel_names_and_reads_back(tmp_path):
    clip = make_clip(frames=4, fps=50)
    path = tmp_path / "clip.csv"
    save_clip(clip, path)
    lines = path.read_text().splitlines()
    assert lines[0] == "time," + ",".join(ARKIT52)
    assert lines[2].startswith("0.02000,")
    back = load_clip(path)
    assert back.fps == 50 and back.frame_count == 4
    np.testing.assert_allclose(back.weights, clip.weights, atol=1e-5)


def test_saving_replaces_the_file_atomically_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "clip.json"
    path.write_text("old")
    save_clip(make_clip(), path)
    assert json.loads(path.read_text())["format"] == "voxrig.clip"
    assert [p.name for p in tmp_path.iterdir()] == ["clip.json"]


def test_saving_into_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(VoxrigError, match="folder .* does not exist"):
        save_clip(make_clip(), tmp_path / "nope" / "clip.json")


def test_unknown_output_extension_is_a_clear_error(tmp_path):
    with pytest.raises(VoxrigError, match=r"unknown output format '\.txt' \(use \.json or \.csv\)"):
        save_clip(make_clip(), tmp_path / "clip.txt")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "other"}, "not a voxrig clip: format is 'other'"),
        ({"version": 2}, "unsupported clip version 2"),
        ({"frame_count": 9}, "frame_count is 9 but weights has 3 frames"),
        ({"fps": -1}, "fps must be a number in"),
        ({"fps": "30"}, "fps must be a number, got '30'"),
        ({"weights": [[0.5] * 52, [0.5] * 51, [0.5] * 52]}, "rectangular array"),
        ({"weights": [[1.5] * 52] * 3}, r"weights must lie in \[0, 1\]"),
        ({"channels": list(ARKIT52[:51])}, "weights must be frames x 51 channels"),
        ({"duration": 0.01}, "need a duration of at least"),
    ],
)
def test_invalid_clip_objects_are_rejected_with_a_specific_message(change, message):
    data = to_dict(make_clip(frames=3))
    data.update(change)
    with pytest.raises(ClipFormatError, match=message):
        from_dict(data)


def test_missing_field_is_named():
    data = to_dict(make_clip(frames=3))
    del data["weights"]
    with pytest.raises(ClipFormatError, match="clip is missing the 'weights' field"):
        from_dict(data)


def test_loading_a_file_that_is_not_json_says_so(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(ClipFormatError, match="is not valid JSON"):
        load_clip(path)


def test_channel_lookup_by_name():
    clip = make_clip()
    np.testing.assert_array_equal(clip.channel("jawOpen"), clip.weights[:, 17])
    with pytest.raises(KeyError):
        clip.channel("jawClose")


def test_saved_files_get_the_usual_permissions_not_private_temp_ones(tmp_path):
    import os

    path = tmp_path / "clip.json"
    save_clip(make_clip(), path)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
