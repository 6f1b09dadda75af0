"""The offline pipeline end to end: audio (+ transcript) -> clip, whole and in chunks."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bench.datasets import ljspeech_clips
from voxrig.core.audio import audio_from_array, load_audio
from voxrig.core.bake import bake
from voxrig.core.clip import frame_count_for
from voxrig.core.config import AudioConfig, Config, EmotionConfig, IdleConfig
from voxrig.core.names import ARKIT52, OVR15

JAW = ARKIT52.index("jawOpen")


@pytest.fixture(scope="module")
def joined(tmp_path_factory) -> tuple[Path, str, float]:
    """Six LJSpeech sentences joined with 0.6 s pauses: ~45 s of real speech + transcript."""
    clips = ljspeech_clips()[:6]
    assert len(clips) == 6, "the LJSpeech clips in ../shared/data are needed"
    pause = np.zeros(int(0.6 * 22050))
    audio = np.concatenate([part for c in clips for part in (sf.read(c.audio)[0], pause)])
    path = tmp_path_factory.mktemp("joined") / "joined.wav"
    sf.write(path, audio, 22050)
    return path, " ".join(c.transcript for c in clips), len(audio) / 22050


@pytest.mark.slow
def test_a_bake_covers_the_audio_at_the_requested_fps(joined):
    path, text, duration = joined
    clip = bake(path, text, Config(fps=24, visemes=True, keypoints=True))
    assert clip.fps == 24 and clip.frame_count == frame_count_for(duration, 24)
    assert abs(clip.duration - duration) < 1e-3
    assert clip.visemes.shape == (clip.frame_count, len(OVR15))
    assert clip.keypoints.shape == (clip.frame_count, 68, 3)
    assert clip.meta["phone_source"] == "forced" and clip.meta["warnings"] == []
    assert clip.meta["phones"][0][1] == 0.0 and abs(clip.meta["phones"][-1][2] - duration) < 0.01


@pytest.mark.slow
def test_a_long_input_is_processed_in_chunks_cut_at_pauses_with_the_same_result(joined):
    """Files over AudioConfig.long_input_seconds (10 min) are streamed in chunks; here the
    threshold is lowered so a 45 s file takes the same path."""
    path, text, duration = joined
    whole = bake(path, text, Config(fps=30))
    chunked_config = Config(fps=30, audio=AudioConfig(long_input_seconds=20, chunk_seconds=15))
    chunked = bake(path, text, chunked_config)
    assert chunked.frame_count == whole.frame_count
    assert chunked.meta["phone_source"] == "forced"
    words = [w[0] for w in chunked.meta["words"]]
    assert words == [w[0] for w in whole.meta["words"]]
    # The same words at nearly the same times, so the same mouth: chunking is not audible.
    gap = np.abs(chunked.weights[:, JAW] - whole.weights[:, JAW])
    assert np.percentile(gap, 95) < 0.05
    assert np.corrcoef(chunked.weights[:, JAW], whole.weights[:, JAW])[0, 1] > 0.95


@pytest.mark.slow
@pytest.mark.parametrize("engine, source", [("phonetic", "recognised"), ("neural", "loudness")])
def test_an_already_loaded_audio_bakes_like_its_file(joined, engine, source):
    path, _, _ = joined
    from_file = bake(path, config=Config(engine=engine))
    from_audio = bake(load_audio(path), config=Config(engine=engine))
    np.testing.assert_allclose(from_audio.weights, from_file.weights, atol=1e-6)
    assert from_audio.meta["phone_source"] == source
    assert from_audio.meta["engine"] == engine


def test_progress_is_reported_from_start_to_done():
    seen: list[tuple[float, str]] = []
    t = np.arange(16000) / 16000
    audio = audio_from_array((0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32), 16000)
    bake(audio, progress=lambda fraction, stage: seen.append((fraction, stage)))
    assert seen[0] == (0.0, "reading audio") and seen[-1] == (1.0, "done")
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)



@pytest.mark.slow
def test_speech_the_transcript_does_not_cover_is_animated_by_the_neural_model():
    # LJ001-0001 with only its first half written: the half that was said is aligned, the rest
    # is marked unaligned, and there the mouth is the neural model's, not recognised phones'.
    from voxrig.core.curve_resample import resample_curves
    from voxrig.core.neural import FRAME_RATE, NeuralEngine, samples_16k

    path = next(c.audio for c in ljspeech_clips() if c.audio.stem == "LJ001-0001")
    half = ("printing in the only sense with which we are at present concerned differs from "
            "most if not")
    config = Config(engine="phonetic", emotion=EmotionConfig(mode="none"),
                    idle=IdleConfig(enabled=False))
    clip = bake(path, transcript=half, config=config)
    assert clip.meta["phone_source"] == "forced"
    assert any("does not fully fit" in w for w in clip.meta["warnings"])
    audio = load_audio(path)
    neural, _ = NeuralEngine().predict(samples_16k(audio))
    expected = resample_curves(neural, FRAME_RATE, clip.fps, clip.duration)
    late = np.arange(len(clip.weights)) / clip.fps > 6.5  # well inside the unaligned stretch
    assert np.abs(clip.weights[late] - expected[late]).max() < 0.01  # resampled via 200 Hz
    early = np.arange(len(clip.weights)) / clip.fps < 3.0
    assert np.abs(clip.weights[early] - expected[early]).max() > 0.05  # phonetic there


def test_the_neural_clips_keypoints_show_its_expression_and_a_listener_s_closed_mouth(
        tmp_path) -> None:
    # the renderer and keypoint exports follow the keypoints: a smile or a listener must be
    # in them as in the weights, not only the model's speaking mouth
    line = ljspeech_clips()[0].audio
    happy = tmp_path / "happy.emotion.json"
    happy.write_text('{"format": "voxrig.emotion", "version": 1, "segments": '
                     '[{"start": 0, "end": 60, "emotion": "happy"}]}')

    def baked(**kwargs) -> np.ndarray:
        config = Config(engine="neural", keypoints=True, **kwargs)
        return bake(line, None, config).keypoints

    plain = baked(emotion=EmotionConfig(mode="none"))
    smiling = baked(emotion=EmotionConfig(mode=str(happy)))
    listening = baked(idle=IdleConfig(listen=True), emotion=EmotionConfig(mode="none"))
    width = lambda k: (k[:, 54, 0] - k[:, 48, 0]).mean()  # noqa: E731 (corners apart, cm)
    gap = lambda k: k[:, 62, 1] - k[:, 66, 1]  # noqa: E731 (inner lips apart, cm)
    assert width(smiling) > width(plain) + 0.2  # a smile widens the mouth by millimetres
    assert np.std(gap(plain)) > 0.1 and np.std(gap(listening)) < 0.01  # the listener is quiet
