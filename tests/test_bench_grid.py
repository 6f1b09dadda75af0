"""The GRID s1 real-lip set: its split, the committed tracks (read without mediapipe), a real
property of the tracked lips, and the r computation of bench/grid.py."""

from __future__ import annotations

import numpy as np
import pytest

from bench import grid, metrics
from bench.grid_track import CLIP_FRAMES, TRACKS, VIDEO_FPS, load_tracks
from voxrig.core.names import ARKIT52

CLIPS = grid.clips_dir()
needs_clips = pytest.mark.skipif(not CLIPS.is_dir(), reason=f"GRID clips not found at {CLIPS}")


@pytest.fixture(scope="module")
def split() -> dict[str, list[str]]:
    return grid.read_split()


@pytest.fixture(scope="module")
def tracks():  # noqa: ANN201 - a bench.grid_track.LipTracks
    return load_tracks()


def test_split_is_disjoint_and_sized(split: dict[str, list[str]]) -> None:
    validation, train = set(split["validation"]), set(split["train"])
    assert len(validation) == len(split["validation"]) == grid.VALIDATION_SIZE
    assert len(train) == len(split["train"]) == 800 - grid.VALIDATION_SIZE
    assert not validation & train


def test_split_covers_the_tracked_clips(split: dict[str, list[str]], tracks) -> None:
    assert set(split["validation"]) | set(split["train"]) == set(tracks.ids)


@needs_clips
def test_split_is_complete_and_regenerates_unchanged(split: dict[str, list[str]]) -> None:
    ids = sorted(p.stem for p in CLIPS.glob("*.mp4"))
    assert len(ids) == 800
    assert set(split["validation"]) | set(split["train"]) == set(ids)
    again = grid.make_split(ids, [grid.command_word(i) for i in ids])
    assert again["validation"] == split["validation"] and again["train"] == split["train"]


def test_make_split_is_seeded_and_stratified() -> None:
    ids = [f"c{i:03d}" for i in range(100)]
    strata = ["a"] * 70 + ["b"] * 30
    one = grid.make_split(ids, strata, seed=1, size=20)
    assert one == grid.make_split(list(reversed(ids)), list(reversed(strata)), seed=1, size=20)
    assert one != grid.make_split(ids, strata, seed=2, size=20)
    held = one["validation"]
    assert len(held) == 20 and sum(ids.index(i) >= 70 for i in held) == 6  # 30 % of 20


def test_committed_tracks_have_the_right_shape(tracks) -> None:
    assert TRACKS.stat().st_size < 4 * 1024 * 1024
    n = len(tracks.ids)
    assert n == 800 and len(set(tracks.ids)) == n
    for array in (tracks.gap, tracks.width, tracks.eyes):
        assert array.shape == (n, CLIP_FRAMES) and array.dtype == np.float32
    assert np.isfinite(tracks.gap).mean() > 0.98
    ok = np.isfinite(tracks.gap)
    # ratios of a frontal face: lips never wider than the eyes are apart, gap below width
    assert (tracks.gap[ok] >= 0).all() and (tracks.gap[ok] < tracks.width[ok]).all()
    assert 0.3 < np.nanmedian(tracks.width) < 1.0
    assert 30 < np.nanmedian(tracks.eyes) < 200  # pixels in a 360x288 frame


@needs_clips
def test_lips_are_more_open_in_words_than_in_the_leading_and_trailing_silence(tracks) -> None:
    """A real property of the speaker (not of how the numbers were made): the tracker never
    saw the .align files, yet his lips part while the words are said and rest around them."""
    frame_times = np.arange(CLIP_FRAMES) / VIDEO_FPS
    wins, spoken_all, silent_all = 0, [], []
    for k, clip_id in enumerate(tracks.ids):
        words = grid.read_align(CLIPS / f"{clip_id}.align")
        first, last = words[0], words[-1]
        assert first.word == "sil" and last.word == "sil"
        lead = frame_times < first.end - 0.1
        trail = frame_times > last.start + 0.1
        spoken = (frame_times >= first.end) & (frame_times <= last.start)
        gap = tracks.gap[k]
        silent = np.nanmean(gap[lead | trail])
        said = np.nanmean(gap[spoken])
        wins += said > silent
        spoken_all.append(said)
        silent_all.append(silent)
    assert wins / len(tracks.ids) > 0.95
    assert np.median(spoken_all) > 1.5 * np.median(silent_all)


def test_read_align_units(tmp_path) -> None:
    path = tmp_path / "x.align"
    path.write_text("0 23750 sil\n23750 29500 bin\n29500 74500 sil\n")
    words = grid.read_align(path)
    assert [w.word for w in words] == ["sil", "bin", "sil"]
    assert words[1].start == pytest.approx(0.95) and words[2].end == pytest.approx(2.98)
    assert grid.transcript_of(words) == "bin"


def _weights_with_jaw(jaw: np.ndarray) -> np.ndarray:
    w = np.zeros((jaw.shape[0], len(ARKIT52)), dtype=np.float32)
    w[:, ARKIT52.index("jawOpen")] = jaw
    return w


def test_r_of_a_known_pair() -> None:
    """A rig jaw that follows the tracked gap correlates with it; one that moves against it
    anticorrelates; a still mouth is 0; a delayed copy is found late by best lag."""
    t = np.arange(CLIP_FRAMES) / VIDEO_FPS
    gap = (0.02 + 0.03 * np.clip(np.sin(2 * np.pi * 1.5 * t), 0, None)).astype(np.float32)
    width = np.full(CLIP_FRAMES, 0.55, dtype=np.float32)
    jaw = (gap - gap.min()) / (gap.max() - gap.min()) * 0.3
    same = grid.score_clip(_weights_with_jaw(jaw), VIDEO_FPS, gap, width)
    assert same.r_gap > 0.98
    assert abs(same.lag) <= 0.01
    against = grid.score_clip(_weights_with_jaw(0.3 - jaw), VIDEO_FPS, gap, width)
    assert against.r_gap < -0.9
    still = grid.score_clip(_weights_with_jaw(np.zeros_like(jaw)), VIDEO_FPS, gap, width)
    assert still.r_gap == 0.0 and still.r_width == 0.0
    late = np.concatenate([np.full(2, jaw[0]), jaw[:-2]])  # 2 frames = 80 ms late
    delayed = grid.score_clip(_weights_with_jaw(late), VIDEO_FPS, gap, width)
    assert delayed.lag == pytest.approx(0.08, abs=0.011)
    assert delayed.r_gap < same.r_gap


def test_upsample_bridges_missing_frames_and_leaves_untracked_ends_out() -> None:
    track = np.array([0.0, np.nan, 2.0, 3.0], dtype=np.float32)
    dense = grid.upsample(track, 13)
    assert np.isfinite(dense).all()
    assert dense[4] == pytest.approx(1.0) and dense[12] == pytest.approx(3.0)
    assert dense[2] == pytest.approx(0.5)
    ends = grid.upsample(np.array([np.nan, 1.0, 2.0, np.nan], dtype=np.float32), 16)
    assert np.isnan(ends[:4]).all() and np.isnan(ends[9:]).all()  # frames at 0.04, 0.08 s
    assert np.isfinite(ends[4:9]).all() and ends[6] == pytest.approx(1.5)


def test_clean_track_blanks_a_broken_lead_in_only() -> None:
    track = np.linspace(0.1, 0.2, CLIP_FRAMES).astype(np.float32)
    assert np.array_equal(grid.clean_track(track), track)
    broken = track.copy()
    broken[:8] = np.nan  # no face in the first frames: the lips found next are not trusted
    cleaned = grid.clean_track(broken)
    assert np.isnan(cleaned[: grid.BROKEN_LEAD]).all()
    assert np.array_equal(cleaned[grid.BROKEN_LEAD :], track[grid.BROKEN_LEAD :])
    assert np.isfinite(broken[8:12]).all()  # the input is left alone


def _grey_share(video, frames: int) -> np.ndarray:
    """Share of flat mid-grey pixels in each of the first frames (a broken MPEG picture)."""
    import subprocess

    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    raw = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(video),
                          "-frames:v", str(frames), "-vf", "scale=90:72", "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    pixels = np.frombuffer(raw, np.uint8).reshape(frames, 72, 90, 3).astype(int)
    return (np.abs(pixels - 128).max(axis=3) < 6).mean(axis=(1, 2))


@needs_clips
def test_no_face_in_the_first_frame_means_a_broken_lead_in(tracks) -> None:
    """What clean_track assumes, checked on the videos: the clips without a face in frame 0
    are grey and blocky for BROKEN_LEAD frames, then whole; a few others are whole at once."""
    missing = [c for k, c in enumerate(tracks.ids) if not np.isfinite(tracks.gap[k, 0])]
    assert 5 <= len(missing) <= 20
    whole = [c for c in tracks.ids[::97] if c not in missing]
    lead = grid.BROKEN_LEAD
    for clip_id in missing:
        grey = _grey_share(CLIPS / f"{clip_id}.mp4", lead + 2)
        assert grey[:lead].min() > 0.3 and grey[lead:].max() < 0.01, clip_id
    for clip_id in whole:
        assert _grey_share(CLIPS / f"{clip_id}.mp4", lead + 2).max() < 0.01, clip_id


def test_grid_targets_leave_out_a_clip_broken_throughout(tracks) -> None:
    targets = grid.grid_targets("train", tracks=tracks) if CLIPS.is_dir() else None
    if targets is None:
        pytest.skip("GRID clips not found")
    ids = {t.clip_id for t in targets}
    assert "pbio7a" not in ids and len(ids) == 639
    assert all(np.isfinite(t.gap).mean() >= grid.MIN_TRACKED for t in targets)
    assert all(len(t.transcript.split()) == 6 for t in targets)


def test_loudness_jaw_follows_the_level() -> None:
    rate = grid.AUDIO_RATE
    t = np.arange(rate) / rate
    tone = np.sin(2 * np.pi * 220 * t) * np.where(t < 0.5, 0.5, 0.005)  # 40 dB quieter after
    weights, fps = grid.loudness_jaw(tone.astype(np.float32), rate)
    jaw = weights[:, ARKIT52.index("jawOpen")]
    assert fps == pytest.approx(100.0) and abs(weights.shape[0] - 100) <= 1
    assert jaw[10:40].min() == pytest.approx(grid.LOUD_JAW_MAX, rel=0.01)
    assert jaw[60:].max() == 0.0  # 40 dB down is past the 30 dB range
    assert metrics.mouth_curves(weights, fps).gap[20] > 6.0
