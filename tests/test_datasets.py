"""The measuring data loads into phone timelines and ARKit-52 targets the metrics can trust."""

from __future__ import annotations

import numpy as np
import pytest

from bench import datasets
from bench.datasets import contiguous, facegood_to_arkit, parse_textgrid, to_arpabet
from voxrig.core.names import ARKIT52, ARKIT_INDEX, ARPABET
from voxrig.core.phones import Phone

needs_data = pytest.mark.skipif(
    not (datasets.data_root() / "english").is_dir(), reason="shared data not present"
)

LONG = """File type = "ooTextFile"
Object class = "TextGrid"

xmin = 0
xmax = 1.5
tiers? <exists>
size = 2
item []:
    item [1]:
        class = "IntervalTier"
        name = "words"
        xmin = 0
        xmax = 1.5
        intervals: size = 2
        intervals [1]:
            xmin = 0
            xmax = 0.7
            text = "say ""hi"" = ok"
        intervals [2]:
            xmin = 0.7
            xmax = 1.5
            text = ""
    item [2]:
        class = "TextTier"
        name = "pitch"
        xmin = 0
        xmax = 1.5
        points: size = 1
        points [1]:
            number = 0.25
            mark = "120"
"""

SHORT = """File type = "ooTextFile"
Object class = "TextGrid"

0
1.5
<exists>
2
"IntervalTier"
"words"
0
1.5
2
0
0.7
"say ""hi"" = ok"
0.7
1.5
""
"TextTier"
"pitch"
0
1.5
1
0.25
"120"
"""


@pytest.mark.parametrize("text", [LONG, SHORT, SHORT.replace("\n", "\r\n")])
def test_textgrid_long_and_short_formats_parse_to_the_same_tiers(text):
    tiers = parse_textgrid(text)
    assert [(t.name, t.kind) for t in tiers] == [("words", "IntervalTier"), ("pitch", "TextTier")]
    assert tiers[0].entries == [(0.0, 0.7, 'say "hi" = ok'), (0.7, 1.5, "")]
    assert tiers[1].entries == [(0.25, 0.25, "120")]


def test_reference_labels_become_arpabet_without_stress_or_sil():
    assert [to_arpabet(x) for x in ("AA1", "ER0", "", "sil", "sp", "spn", "pau")] == [
        "AA", "ER", "sil", "sil", "sil", "sil", "sil"]
    assert [to_arpabet(x) for x in ("ax", "hh", "ə", "θ", "œ", "PT")] == [
        "AH", "HH", "AH", "TH", "AE", "P"]


def test_gaps_between_phones_become_silence_and_silences_merge():
    phones = contiguous([Phone("sil", 0.0, 0.1), Phone("AA", 0.2, 0.3)], 0.5)
    assert phones == [Phone("sil", 0.0, 0.2), Phone("AA", 0.2, 0.3), Phone("sil", 0.3, 0.5)]


@needs_data
def test_english_clips_have_contiguous_arpabet_phones_covering_the_audio():
    clips = {c.name: c for c in datasets.english_phone_clips()}
    assert set(clips) == {"mfa_acoustic_corpus", "arctic_a0009", "praatio_bobby", "praatio_mary"}
    for clip in clips.values():
        assert clip.audio.exists()
        assert clip.phones[0].start == 0.0
        assert clip.phones[-1].end == pytest.approx(clip.duration)
        for a, b in zip(clip.phones, clip.phones[1:], strict=False):
            assert a.end == pytest.approx(b.start)
        assert {p.label for p in clip.phones} <= ARPABET | {"sil"}
    assert clips["arctic_a0009"].transcript.startswith("He turned sharply")
    arctic = [p.label for p in clips["arctic_a0009"].phones]
    assert arctic[:6] == ["sil", "HH", "IY", "T", "ER", "N"]
    assert clips["arctic_a0009"].phones[1].start == pytest.approx(0.13)  # 1300000 x 100 ns
    assert clips["praatio_mary"].transcript == "mary rolled the barrel"
    assert [p.label for p in clips["praatio_mary"].phones][1:4] == ["M", "AH", "R"]
    assert clips["mfa_acoustic_corpus"].transcript.startswith("this is the acoustic corpus")
    assert clips["praatio_bobby"].transcript == "Bobby ripped the ledger"


@needs_data
def test_facegood_targets_are_52_channels_at_30_fps_in_unit_range():
    clips = datasets.facegood_clips()
    assert len(clips) == 5
    for clip in clips:
        assert clip.weights.shape[1] == 52 and clip.weights.dtype == np.float32
        assert clip.fps == 30.0 and 100 < clip.duration < 120
        assert clip.weights.min() >= 0.0 and clip.weights.max() <= 1.0
        assert clip.weights[:, ARKIT_INDEX["jawOpen"]].std() > 0.01
        assert clip.audio.exists()


def test_facegood_retarget_follows_the_shared_map():
    names = ["mouth_stretch_c", "mouth_oh_c", "tooth_d_d", "mouth_oo_c", "mouth_funnel_dl",
             "mouth_funnel_dr", "mouth_funnel_ul", "mouth_funnel_ur", "mouth_pucker_l",
             "mouth_pucker_r", "mouth_suck_dl", "mouth_suck_dr", "mouth_suck_ul",
             "mouth_suck_ur", "mouth_chinRaise_u", "mouth_chinRaise_d", "eye_blink1_l"]
    for s in "lr":
        names += [f"mouth_lowerLipDepress_{s}", f"mouth_upperLipRaise_{s}", f"mouth_press_{s}",
                  f"mouth_lipStretch_{s}", f"mouth_lipCornerPull_{s}", f"nose_wrinkle_{s}"]
    v = np.zeros((1, len(names)))
    set_ = lambda n, x: v.__setitem__((0, names.index(n)), x)  # noqa: E731
    set_("mouth_stretch_c", 0.2)
    set_("mouth_oh_c", 0.5)
    set_("tooth_d_d", 0.2)
    set_("mouth_oo_c", 1.0)
    set_("mouth_pucker_l", 0.8)
    set_("mouth_pucker_r", 0.8)
    set_("mouth_funnel_ul", 0.4)
    set_("mouth_press_r", 0.7)
    set_("mouth_suck_ul", 0.6)
    set_("eye_blink1_l", 1.0)  # not in the map: no ARKit channel moves
    out = facegood_to_arkit(v, names)[0]
    assert out[ARKIT_INDEX["jawOpen"]] == pytest.approx(0.2 + 0.3 + 0.1)
    assert out[ARKIT_INDEX["mouthFunnel"]] == pytest.approx(0.1 + 0.2 + 0.3)
    assert out[ARKIT_INDEX["mouthPucker"]] == 1.0  # 0.8 + 0.6 clipped to 1
    assert out[ARKIT_INDEX["mouthPressRight"]] == pytest.approx(0.7)
    assert out[ARKIT_INDEX["mouthRollUpper"]] == pytest.approx(0.3)
    assert out[ARKIT_INDEX["eyeBlinkLeft"]] == 0.0
    assert out.shape == (len(ARKIT52),)


@needs_data
def test_ljspeech_clips_come_with_their_transcripts():
    clips = datasets.ljspeech_clips()
    assert len(clips) >= 8
    assert clips[1].name == "LJ001-0002"
    assert clips[1].transcript == "in being comparatively modern."
