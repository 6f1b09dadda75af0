"""The footage bench/train_face.py gives `voxrig train-face`: GRID clips the renderer may train
on, joined so that the sound stays with its frames (a join that let each clip's sound run on
drifted 72 ms a clip and made faces that could not lip-sync)."""

from __future__ import annotations

import numpy as np
import pytest

from bench import face_tracks, train_face
from bench import render_quality as rq

CLIP = face_tracks.CLIPS / "bbaf2n.mp4"
needs_clips = pytest.mark.skipif(not CLIP.exists(), reason=f"GRID clips not found at {CLIP}")


@needs_clips
def test_the_footage_never_holds_a_validation_clip() -> None:
    pool = set(train_face.training_clips())
    assert len(pool) == 720 and not pool & set(rq.renderer_validation())


@needs_clips
def test_joined_footage_keeps_each_clips_sound_under_its_frames(tmp_path) -> None:
    # 0.3 minutes: six 3 s clips, cut into two videos of three clips each
    first, second = train_face.make_footage(0.3, 2, tmp_path)
    frames = face_tracks.read_video(first)
    sound = rq.read_audio(first)
    assert len(frames) == 3 * face_tracks.CLIP_FRAMES
    # the sound lasts exactly as long as the frames (AAC pads at most a frame of 1024 samples)
    assert abs(len(sound) - 3 * 3 * rq.AUDIO_RATE) <= 1024
    assert second.exists() and not list(tmp_path.glob(".*tmp*"))
    # the second clip's sound starts where its frames do: its loudness envelope matches the
    # clip's own, not one shifted by the first clip's extra sound
    clips = train_face.footage_clips(0.3)
    own = rq.read_audio(face_tracks.CLIPS / f"{clips[1]}.mp4")[: 3 * rq.AUDIO_RATE]
    joined = sound[3 * rq.AUDIO_RATE: 6 * rq.AUDIO_RATE]
    envelope = lambda x: np.abs(x[: len(x) // 160 * 160]).reshape(-1, 160).mean(1)  # noqa: E731
    a, b = envelope(own), envelope(joined)
    n = min(len(a), len(b))
    assert np.corrcoef(a[:n], b[:n])[0, 1] > 0.9
