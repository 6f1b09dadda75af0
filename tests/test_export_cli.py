"""`voxrig bake -o OUT.<ext>` writes every export format, picked by extension or --format,
end to end on the bundled sample."""

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
import yaml

from voxrig.bridge.cli import SAMPLE_AUDIO, SAMPLE_TEXT, main
from voxrig.bridge.exporters import EXPORTERS, export_format_for, written_by_voxrig
from voxrig.core.errors import VoxrigError


@pytest.fixture()
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "line.flac"
    shutil.copy(SAMPLE_AUDIO, path)
    return path


def bake(capsys, sample, *argv):
    code = main(["bake", str(sample), "--text", str(SAMPLE_TEXT), *argv])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(("name", "fmt"), [
    ("a.json", "json"), ("a.csv", "csv"), ("a.anim", "unity"), ("a.ANIM", "unity"),
    ("a.unreal.csv", "unreal"), ("a.glb", "gltf"), ("a.rhubarb.json", "rhubarb"),
    ("a.tsv", "rhubarb-tsv"), ("a.visemes.csv", "visemes"), ("a.dat", "moho"),
    ("my.clip.json", "json"),
])
def test_the_extension_picks_the_format_longest_match_first(name, fmt):
    assert export_format_for(name) == fmt


def test_format_overrides_the_extension_and_unknown_names_are_refused():
    assert export_format_for("cues.txt", "rhubarb-tsv") == "rhubarb-tsv"
    with pytest.raises(VoxrigError, match="unknown format 'fbx'"):
        export_format_for("a.fbx", "fbx")


def test_every_format_recognises_its_own_output_and_not_the_others(tmp_path):
    import numpy as np

    from voxrig.bridge.exporters import ExportOptions
    from voxrig.core.clip import Clip
    clip = Clip(fps=30.0, weights=np.zeros((10, 52), np.float32),
                visemes=np.full((10, 15), 1 / 15, np.float32))
    for name, exporter in EXPORTERS.items():
        if name in ("json", "csv"):
            continue  # clipio.is_voxrig_output knows these
        path = tmp_path / f"x.{exporter.extensions[0]}"
        path.write_bytes(exporter.write(clip, ExportOptions()))
        others = [n for n in EXPORTERS if n not in (name, "json", "csv")]
        assert written_by_voxrig(path, name), name
        assert not any(written_by_voxrig(path, other) for other in others), name


@pytest.mark.slow
def test_bake_to_a_unity_anim_on_the_given_renderer_path(sample, tmp_path, capsys):
    out = tmp_path / "line.anim"
    code, err = bake(capsys, sample, "-o", str(out), "--unity-path", "Body")
    assert code == 0, err
    loader = type("L", (getattr(yaml, "CSafeLoader", yaml.SafeLoader),), {})
    loader.add_multi_constructor("tag:unity3d.com,2011:",
                                 lambda ld, s, node: ld.construct_mapping(node, True))
    anim = yaml.load(out.read_text(), Loader=loader)["AnimationClip"]
    assert anim["m_Name"] == "line" and anim["m_SampleRate"] == 30
    assert {c["path"] for c in anim["m_FloatCurves"]} == {"Body"}
    assert len(anim["m_FloatCurves"]) == 52
    assert f"wrote {out}" in err


@pytest.mark.slow
def test_format_flag_writes_rhubarb_tsv_whatever_the_extension(sample, tmp_path, capsys):
    out = tmp_path / "cues.txt"
    code, err = bake(capsys, sample, "-o", str(out), "--format", "rhubarb-tsv")
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out.read_text()), delimiter="\t"))
    assert rows[0][0] == "0.00" and rows[-1] == ["9.66", "X"]
    assert {r[1] for r in rows} <= set("ABCDEFGHX") and len(rows) > 20


@pytest.mark.slow
def test_a_viseme_csv_bakes_the_visemes_it_needs(sample, tmp_path, capsys):
    out = tmp_path / "line.visemes.csv"
    code, err = bake(capsys, sample, "-o", str(out))
    assert code == 0, err
    header = out.read_text().split("\n", 1)[0]
    assert header == "time,sil,PP,FF,TH,DD,kk,CH,SS,nn,RR,aa,E,ih,oh,ou"


@pytest.mark.slow
def test_rebaking_over_own_export_is_allowed_but_a_foreign_file_is_kept(sample, tmp_path,
                                                                       capsys):
    out = tmp_path / "line.rhubarb.json"
    assert bake(capsys, sample, "-o", str(out), "-q")[0] == 0
    first = json.loads(out.read_text())
    assert first["mouthCues"][-1]["value"] == "X"
    assert bake(capsys, sample, "-o", str(out), "-q")[0] == 0
    foreign = tmp_path / "mine.dat"
    foreign.write_text("MohoSwitch1\n5 AI\n")  # hand-made: does not start at frame 1
    code, err = bake(capsys, sample, "-o", str(foreign))
    assert code == 1 and "was not written by voxrig" in err
    assert foreign.read_text() == "MohoSwitch1\n5 AI\n"


def test_keypoints_go_to_json_only(sample, capsys):
    code = main(["bake", str(sample), "--keypoints", "-o", "out.glb"])
    assert code == 1
    assert "keypoints can only be written to JSON" in capsys.readouterr().err


@pytest.mark.slow
def test_bake_to_a_glb_animates_the_head_over_the_whole_line(sample, tmp_path, capsys):
    import pygltflib

    out = tmp_path / "line.glb"
    code, err = bake(capsys, sample, "-o", str(out), "--fps", "24")
    assert code == 0, err
    gltf = pygltflib.GLTF2().load(str(out))
    times = gltf.accessors[gltf.animations[0].samplers[0].input]
    assert times.count == int(9.655 * 24) + 1
    assert times.max[0] == pytest.approx((times.count - 1) / 24, abs=1e-5)
    assert gltf.animations[0].name == "line"


@pytest.mark.slow
def test_export_converts_a_baked_clip_without_baking_again(sample, tmp_path, capsys):
    clip_path = tmp_path / "line.json"
    assert bake(capsys, sample, "--visemes", "-o", str(clip_path))[0] == 0
    for name in ("line.anim", "line.tsv", "line.visemes.csv", "line.unreal.csv"):
        code = main(["export", str(clip_path), "-o", str(tmp_path / name)])
        assert code == 0, capsys.readouterr().err
        assert f"wrote {tmp_path / name}" in capsys.readouterr().err
    anim = yaml.safe_load((tmp_path / "line.anim").read_text().split("\n", 3)[3])
    assert anim["AnimationClip"]["m_SampleRate"] == 30


def test_export_refuses_what_it_cannot_write(tmp_path, capsys):
    code = main(["export", str(tmp_path / "missing.json"), "-o", str(tmp_path / "x.anim")])
    assert (code, capsys.readouterr().err) == (
        1, f"voxrig: error: cannot read '{tmp_path / 'missing.json'}': file not found\n")
    mine = tmp_path / "mine.anim"
    mine.write_text("my own animation")
    code = main(["export", str(tmp_path / "missing.json"), "-o", str(mine)])
    assert code == 1 and "was not written by voxrig" in capsys.readouterr().err
    assert mine.read_text() == "my own animation"
