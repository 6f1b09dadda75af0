"""The engine interface: every registered engine animates a chunk of real speech into a Part
that bake() can place, and a bake names the engine that made it."""

from pathlib import Path

import numpy as np
import pytest

from voxrig.core.audio import load_audio
from voxrig.core.bake import bake
from voxrig.core.config import Config
from voxrig.core.engines import ENGINES, REGISTRY, STREAMING, create, create_streaming
from voxrig.core.names import ARKIT52

SAMPLE = Path(__file__).parent.parent / "bridge" / "samples" / "LJ001-0001.flac"
TEXT = SAMPLE.with_suffix(".txt").read_text()


@pytest.fixture(scope="module")
def speech():
    return load_audio(SAMPLE)


def test_auto_and_every_registered_engine_are_the_engine_choices():
    assert ("auto", *REGISTRY) == ENGINES


@pytest.mark.parametrize("name", list(REGISTRY))
@pytest.mark.parametrize("transcript", [None, TEXT], ids=["audio only", "with transcript"])
def test_an_engine_turns_a_chunk_of_speech_into_curves_on_its_own_rate(name, transcript,
                                                                      speech):
    engine = create(Config(engine=name, visemes=True), transcript)
    assert engine.name == name
    part = engine.animate(speech, is_last=True)
    assert part.speech
    assert part.weights.shape[1] == len(ARKIT52) and part.rate > 0
    assert len(part.weights) / part.rate == pytest.approx(speech.duration, abs=2 / part.rate)
    assert part.weights.min() >= 0.0 and part.weights.max() <= 1.0
    assert np.ptp(part.weights[:, ARKIT52.index("jawOpen")]) > 0.2  # the mouth speaks
    assert part.visemes is not None and part.visemes_rate > 0
    assert part.timeline.duration == pytest.approx(speech.duration)
    assert part.timeline.source == ("forced" if transcript else
                                    {"neural": "loudness", "phonetic": "recognised"}[name])


@pytest.mark.parametrize("name", list(REGISTRY))
def test_a_bake_records_the_engine_that_made_it(name):
    clip = bake(SAMPLE, TEXT, Config(engine=name))
    assert clip.meta["engine"] == name
    assert ("model" in clip.meta) == (name == "neural")


@pytest.mark.parametrize("name", list(STREAMING))
def test_a_streaming_engine_turns_speech_pushed_block_by_block_into_frames_in_order(name,
                                                                                    speech):
    engine = create_streaming(name, 30.0)
    assert engine.latency > 0 and engine.compute_allowance > 0
    block = int(0.02 * speech.sample_rate)
    frames = [f for start in range(0, len(speech.samples), block)
              for f in engine.push(speech.samples[start:start + block])] + engine.finish()
    assert [f.index for f in frames] == list(range(len(frames)))
    assert len(frames) / 30.0 == pytest.approx(speech.duration, abs=2 / 30.0)
    jaw = np.array([f.weights[ARKIT52.index("jawOpen")] for f in frames])
    assert np.ptp(jaw) > 0.2  # the mouth speaks


def test_the_stream_command_offers_auto_and_every_streaming_engine():
    import argparse

    from voxrig.bridge.live.command import add_arguments

    parser = argparse.ArgumentParser(exit_on_error=False)
    add_arguments(parser)
    for name in ("auto", *STREAMING):
        assert parser.parse_args(["--engine", name]).engine == name
    with pytest.raises(argparse.ArgumentError):
        parser.parse_args(["--engine", "loudness"])
