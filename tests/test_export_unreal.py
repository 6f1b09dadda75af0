"""Unreal curve table CSV, read back with Python's csv module: a key-time header row, then
one row per curve named by its channel."""

import csv
import io

import numpy as np

from voxrig.bridge.exporters import ExportOptions
from voxrig.bridge.exporters.unreal_csv import write
from voxrig.core.clip import Clip


def test_first_row_holds_the_frame_times_and_each_row_one_curve():
    rng = np.random.default_rng(1)
    clip = Clip(fps=25.0, weights=rng.random((20, 52), dtype=np.float32))
    rows = list(csv.reader(io.StringIO(write(clip, ExportOptions()).decode())))
    assert rows[0][0] == "---"
    assert np.allclose([float(x) for x in rows[0][1:]], clip.times, atol=1e-6)
    assert [r[0] for r in rows[1:]] == list(clip.channels)
    table = np.array([[float(x) for x in r[1:]] for r in rows[1:]])
    assert np.allclose(table.T, clip.weights, atol=1e-5)
