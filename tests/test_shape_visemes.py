"""OVR-15 visemes and Rhubarb cues read off the mouth shape, for the neural engine without a
transcript (its timeline knows only speech and pauses): closures are PP and A, open vowels aa
and C/D, and the 2D cues move as often as the mouth does."""

import numpy as np
import pytest

from bench import cues as bench_cues
from bench import datasets, metrics
from voxrig.bridge.cli import SAMPLE_AUDIO
from voxrig.core.animator.poses import POSES
from voxrig.core.bake import bake
from voxrig.core.config import Config
from voxrig.core.mouth_shapes import mouth_cues
from voxrig.core.names import ARKIT52, OVR15
from voxrig.core.rig import mouth_signals
from voxrig.core.shape_visemes import shape_visemes, speaking_frames

needs_data = pytest.mark.skipif(
    not (datasets.data_root() / "english").is_dir(), reason="shared data not present"
)


def pose(phone):
    row = np.zeros((1, len(ARKIT52)), np.float32)
    for name, value in POSES[phone].items():
        row[0, ARKIT52.index(name)] = value
    return row


def strongest(weights, speaking=True):
    return OVR15[int(shape_visemes(weights, np.array([speaking])).argmax(axis=1)[0])]


def test_typical_mouths_read_as_their_visemes():
    expected = {"P": "PP", "M": "PP", "F": "FF", "V": "FF", "AA": "aa", "AH": "aa", "EH": "E",
                "OW": "oh", "W": "ou", "TH": "TH", "K": "kk"}
    assert {p: strongest(pose(p)) for p in expected} == expected


def test_weights_sum_to_one_and_a_mouth_at_rest_in_a_pause_is_silence():
    frames = np.vstack([pose(p) for p in ("sil", "P", "AA", "UW", "sil")])
    speaking = np.array([False, True, True, True, True])
    v = shape_visemes(frames, speaking)
    np.testing.assert_allclose(v.sum(axis=1), 1.0, atol=1e-5)
    assert [OVR15[k] for k in v.argmax(axis=1)] == ["sil", "PP", "aa", "ou", "PP"]
    # without a timeline, a mouth with no channel active is at rest
    assert strongest(pose("sil"), speaking=False) == "sil"
    assert OVR15[int(shape_visemes(pose("sil")).argmax())] == "sil"


@pytest.fixture(scope="module")
def heard():
    """The bundled LJSpeech line (9.7 s) baked from its audio alone, as `voxrig bake` does."""
    clip = bake(SAMPLE_AUDIO, None, Config(engine="neural", visemes=True))
    assert clip.meta["phone_source"] == "loudness"
    return clip


def test_neural_visemes_show_pp_at_lip_closures_and_aa_at_the_widest_openings(heard):
    gap, _ = mouth_signals(metrics.arkit_weights(heard))
    top = np.array([OVR15[k] for k in heard.visemes.argmax(axis=1)])
    speaking = speaking_frames(heard.meta["phones"], heard.times)
    closed = speaking & (gap <= 1.0)
    assert closed.sum() >= 20  # the line has a dozen P/B/M
    assert np.mean(top[closed] == "PP") >= 0.9
    # The widest openings are open vowels: "aa", or "oh" where the vowel is rounded (the
    # line's "only" and "most": OW, which the bake heard and rounded).
    widest = gap >= np.percentile(gap, 95)
    assert np.mean(np.isin(top[widest], ["aa", "oh"])) >= 0.9
    assert np.any(top[widest] == "aa") and not np.any(top[widest] == "PP")
    # In the pauses a mouth at rest is silence; the only open ones open into (or close after)
    # the speech beside them, within a frame: their shape shows, as a breath's would.
    at_rest = ~speaking & (gap < 2.0)
    assert at_rest.sum() >= 10 and set(top[at_rest]) == {"sil"}
    opening = np.flatnonzero(~speaking & (top != "sil"))
    beside_speech = [speaking[max(0, k - 1):k + 2].any() for k in opening]
    assert all(beside_speech) and len(opening) <= 3


def test_neural_cues_move_with_the_mouth_a_at_every_closure(heard):
    cues = mouth_cues(heard)
    shapes = {c.shape for c in cues}
    assert {"A", "B", "C", "D", "X"} <= shapes
    speech = sum(e - s for label, s, e in heard.meta["phones"] if label != "sil")
    assert len(cues) / speech >= 4.0
    gap, _ = mouth_signals(metrics.arkit_weights(heard))
    speaking = speaking_frames(heard.meta["phones"], heard.times)
    closed = np.diff(np.concatenate([[0], (speaking & (gap <= 2.0)).astype(int), [0]]))
    runs = list(zip(np.flatnonzero(closed == 1), np.flatnonzero(closed == -1), strict=True))
    assert len(runs) >= 10
    with_a = [any(c.shape == "A" and c.start < b / heard.fps + 0.02
                  and c.end > a / heard.fps - 0.02 for c in cues) for a, b in runs]
    assert np.mean(with_a) >= 0.9


@needs_data
def test_neural_cues_and_visemes_keep_the_lip_sync_events_of_the_curves_without_a_transcript():
    """On the 4 phone-tier clips, cues drawn as typical mouths and visemes drawn as typical
    viseme poses keep what the neural curves do: their closures, and their event score to
    within a few events (how high the curves score is the bench's business)."""
    clips = datasets.english_phone_clips()
    row = bench_cues.run_system("neural", False, clips)
    curves = row["curves"]
    for drawn in ("cues", "visemes"):
        assert row[drawn]["event"] >= curves["event"] - 0.04, (drawn, row[drawn], curves)
        assert row[drawn]["B"] >= curves["B"] - 0.02, (drawn, row[drawn], curves)
    assert row["closures_with_a"] >= curves["B"] - 0.1
    assert row["cues_per_speech_second"] >= 4.0
