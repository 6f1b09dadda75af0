"""Unity .anim: an AnimationClip asset Unity reads, checked by parsing it back with PyYAML
(an independent YAML reader) and comparing every curve with the clip."""

import numpy as np
import pytest
import yaml

from voxrig.bridge.exporters import ExportOptions
from voxrig.bridge.exporters.unity_anim import reduced_keys, write
from voxrig.core.clip import Clip
from voxrig.core.errors import VoxrigError


def smooth_clip(frames=60, fps=30.0):
    t = np.arange(frames)[:, None] / fps
    phase = np.arange(52)[None, :] * 0.37
    weights = np.clip(0.5 + 0.5 * np.sin(2 * np.pi * 1.3 * t + phase), 0, 1) ** 2
    weights[:, 5:12] = 0.0  # flat channels
    return Clip(fps=fps, weights=weights.astype(np.float32), duration=(frames - 1) / fps + 0.01)


class UnityLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """PyYAML with Unity's `!u!<classID>` tags read as plain mappings."""


UnityLoader.add_multi_constructor(
    "tag:unity3d.com,2011:", lambda loader, suffix, node: loader.construct_mapping(node, True))


def parse(data: bytes) -> dict:
    return yaml.load(data.decode("utf-8"), Loader=UnityLoader)["AnimationClip"]


def sample(curve: dict, times: np.ndarray) -> np.ndarray:
    keys = curve["curve"]["m_Curve"]
    return np.interp(times, [k["time"] for k in keys], [k["value"] for k in keys])


def test_every_channel_is_a_blend_shape_curve_on_the_renderer_path():
    clip = smooth_clip()
    anim = parse(write(clip, ExportOptions(name="line", unity_path="Body/Head")))
    assert anim["m_Name"] == "line"
    curves = anim["m_FloatCurves"]
    assert [c["attribute"] for c in curves] == [f"blendShape.{n}" for n in clip.channels]
    assert {c["path"] for c in curves} == {"Body/Head"}
    assert {c["classID"] for c in curves} == {137}  # SkinnedMeshRenderer
    assert anim["m_EditorCurves"] == curves


def test_curves_reproduce_the_clip_in_unity_units_0_to_100():
    clip = smooth_clip()
    anim = parse(write(clip, ExportOptions()))
    for j, curve in enumerate(anim["m_FloatCurves"]):
        values = sample(curve, clip.times)
        assert np.max(np.abs(values - 100 * clip.weights[:, j])) < 2e-3, curve["attribute"]


def test_keys_carry_linear_slopes_between_their_neighbours():
    clip = smooth_clip()
    curve = parse(write(clip, ExportOptions()))["m_FloatCurves"][0]["curve"]["m_Curve"]
    for a, b in zip(curve, curve[1:], strict=False):
        slope = (b["value"] - a["value"]) / (b["time"] - a["time"])
        assert a["outSlope"] == pytest.approx(slope, rel=1e-4, abs=1e-3)
        assert b["inSlope"] == pytest.approx(slope, rel=1e-4, abs=1e-3)
    assert {k["tangentMode"] for k in curve} == {69}


def test_flat_channels_shrink_to_few_keys():
    clip = smooth_clip()
    flat = parse(write(clip, ExportOptions()))["m_FloatCurves"][6]["curve"]["m_Curve"]
    assert len(flat) == 2 and {k["value"] for k in flat} == {0}  # 60 frames: both ends


def test_clip_settings_give_sample_rate_and_length():
    clip = smooth_clip(frames=61, fps=60.0)
    anim = parse(write(clip, ExportOptions()))
    assert anim["m_SampleRate"] == 60
    assert anim["m_AnimationClipSettings"]["m_StopTime"] == pytest.approx(1.0)
    assert anim["m_AnimationClipSettings"]["m_LoopTime"] == 0


def test_file_starts_with_unitys_yaml_header():
    text = write(smooth_clip(), ExportOptions()).decode()
    assert text.startswith("%YAML 1.1\n%TAG !u! tag:unity3d.com,2011:\n--- !u!74 &7400000\n"
                           "AnimationClip:\n")


def test_a_renderer_path_yaml_cannot_hold_is_refused():
    with pytest.raises(VoxrigError, match="--unity-path"):
        write(smooth_clip(), ExportOptions(unity_path="Face: #1"))


def test_key_reduction_keeps_every_bend_and_both_ends():
    t = np.arange(10) / 10
    v = np.array([0, 0, 0, 0, 5, 10, 10, 10, 10, 10], float)
    kt, kv = reduced_keys(t, v)
    assert kt.tolist() == [0.0, 0.3, 0.5, 0.9] and kv.tolist() == [0, 0, 10, 10]
