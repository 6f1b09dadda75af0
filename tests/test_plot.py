"""`voxrig plot`: a picture of the clip's curves over its phones and words."""

import sys

import numpy as np
import pytest
from matplotlib import image

from voxrig.bridge.cli import main
from voxrig.bridge.clipio import save_clip
from voxrig.bridge.plot import main_channels, save_plot
from voxrig.core.clip import Clip
from voxrig.core.errors import VoxrigError
from voxrig.core.names import ARKIT52


def spoken_clip() -> Clip:
    t = np.arange(60) / 30.0
    weights = np.zeros((60, 52), np.float32)
    weights[:, ARKIT52.index("jawOpen")] = 0.3 * np.sin(np.pi * t / 2) ** 2
    weights[20:40, ARKIT52.index("mouthPucker")] = 0.6
    weights[:, ARKIT52.index("eyeBlinkLeft")] = 1.0  # moves a lot, but is not the mouth
    meta = {"phones": [["sil", 0.0, 0.5], ["HH", 0.5, 0.6], ["UW", 0.6, 1.3], ["sil", 1.3, 2.0]],
            "words": [["who", 0.5, 1.3]], "source": "who.wav"}
    return Clip(fps=30.0, weights=weights, duration=2.0, meta=meta)


def test_main_channels_are_the_mouth_channels_that_move():
    assert main_channels(spoken_clip()) == ["jawOpen", "mouthPucker"]


def test_plot_writes_a_png_with_curves_and_the_timeline(tmp_path):
    out = tmp_path / "curves.png"
    save_plot(spoken_clip(), out)
    pixels = image.imread(out)
    assert pixels.ndim == 3 and pixels.shape[0] > 300 and pixels.shape[1] >= 800
    assert pixels[..., :3].std() > 0.05  # something was drawn


def test_plot_command_reads_a_clip_file_and_writes_beside_it(tmp_path, capsys):
    clip_path = tmp_path / "who.json"
    save_clip(spoken_clip(), clip_path)
    assert main(["plot", str(clip_path)]) == 0
    assert (tmp_path / "who.png").stat().st_size > 10_000
    assert capsys.readouterr().err == f"wrote {tmp_path / 'who.png'}\n"


def test_plot_command_draws_chosen_channels_and_refuses_unknown_ones(tmp_path, capsys):
    clip_path = tmp_path / "who.json"
    save_clip(spoken_clip(), clip_path)
    assert main(["plot", str(clip_path), "-o", str(tmp_path / "a.svg"),
                 "--channels", "eyeBlinkLeft,jawOpen"]) == 0
    assert (tmp_path / "a.svg").read_text().lstrip().startswith("<?xml")
    capsys.readouterr()
    assert main(["plot", str(clip_path), "--channels", "jawOpn"]) == 1
    assert capsys.readouterr().err == "voxrig: error: the clip has no channel 'jawOpn'\n"


def test_an_image_type_matplotlib_cannot_write_is_refused(tmp_path):
    with pytest.raises(VoxrigError, match=r"plots are \.png, \.svg or \.pdf"):
        save_plot(spoken_clip(), tmp_path / "a.gif")


def test_without_matplotlib_the_error_is_one_line_saying_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    with pytest.raises(VoxrigError) as error:
        save_plot(spoken_clip(), tmp_path / "a.png")
    assert str(error.value) == "plotting needs matplotlib: pip install 'voxrig[plot]'"
