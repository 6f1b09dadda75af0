"""The Blender extension, on real Blender (the `bpy` module, headless).

Run by tests/test_blender.py with the Blender venv's Python (bpy needs numpy<2):
    .venv-blender/bin/python -m pytest tests/blender/bl_extension.py
The extension is built with tools/build_addon.py, installed with Blender's own installer into
a temporary user resource directory, and every check drives its operators. voxrig is imported
only after the install, so the checks use the voxrig wheel bundled in the extension."""

import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
USER_RESOURCES = Path(os.environ.get("BLENDER_USER_RESOURCES") or tempfile.mkdtemp())
os.environ["BLENDER_USER_RESOURCES"] = str(USER_RESOURCES)  # before bpy: nothing touches ~

import bpy  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

SPEECH = ROOT / "bridge" / "samples" / "LJ001-0001.flac"
BUILD = Path(tempfile.mkdtemp(prefix="voxrig-addon-"))


def _build_zip() -> Path:
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "build_addon.py"),
                           "--out", str(BUILD)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return Path(done.stdout.strip().splitlines()[-1])


ZIP = _build_zip()
assert bpy.ops.extensions.package_install_files(
    filepath=str(ZIP), repo="user_default", enable_on_install=True) == {"FINISHED"}

from voxrig.core.audio import probe  # noqa: E402
from voxrig.core.bake import bake  # noqa: E402
from voxrig.core.channel_names import load_mapping  # noqa: E402
from voxrig.core.config import Config  # noqa: E402
from voxrig.core.errors import VoxrigError  # noqa: E402
from voxrig.core.names import OVR15  # noqa: E402
from voxrig.core.rig import load_rig  # noqa: E402

ADDON = sys.modules["bl_ext.user_default.voxrig"]


@pytest.fixture(autouse=True)
def empty_scene():
    bpy.ops.wm.read_homefile(use_empty=True)
    yield
    ADDON.live.stop()


def _cli_clip(fps: float, visemes: bool = False):
    config = Config(fps=fps, visemes=visemes)
    config.align.workers = 1
    return bake(SPEECH, None, config)


def _fcurves(key):
    """The F-curves of the Key's active action (slotted on 4.4+, legacy on 4.2)."""
    data = key.animation_data
    action = data.action
    if hasattr(action, "slots"):
        from bpy_extras.anim_utils import action_get_channelbag_for_slot

        return action_get_channelbag_for_slot(action, data.action_slot).fcurves
    return action.fcurves


def _values(fcurve) -> np.ndarray:
    co = np.empty(2 * len(fcurve.keyframe_points), np.float32)
    fcurve.keyframe_points.foreach_get("co", co)
    return co.reshape(-1, 2)


def _mesh_with_keys(names: list[str], name: str = "Face"):
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    obj = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    if names:
        obj.shape_key_add(name="Basis")
        for key_name in names:
            obj.shape_key_add(name=key_name)
    return obj


def _bake(**settings):
    scene = bpy.context.scene
    scene.voxrig.audio_path = str(SPEECH)
    for name, value in settings.items():
        setattr(scene.voxrig, name, value)
    return bpy.ops.voxrig.bake()


def _error_of(operator, **kwargs) -> str:
    with pytest.raises(RuntimeError) as caught:
        operator(**kwargs)
    message = str(caught.value)
    assert "Traceback" not in message
    return message


def test_the_built_zip_validates_and_bundles_voxrig_and_its_wheels():
    tool = next(Path(sys.prefix).glob(
        "lib/python3*/site-packages/bpy/*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
    done = subprocess.run([sys.executable, str(tool), "validate", str(ZIP)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    import zipfile

    names = zipfile.ZipFile(ZIP).namelist()
    wheels = {Path(n).name.split("-")[0] for n in names if n.endswith(".whl")}
    assert {"voxrig", "pocketsphinx", "soundfile", "python_osc", "cffi", "onnxruntime"} <= wheels
    assert "numpy" not in wheels  # Blender ships its own
    assert not wheels & {"nrclex", "textblob", "nltk"}  # text emotion is voxrig's own lexicon


def test_installing_the_zip_registers_the_operators_and_uses_the_bundled_voxrig():
    import voxrig.core

    assert str(USER_RESOURCES) in voxrig.core.__path__[0]
    for name in ("bake", "add_demo_head", "auto_map", "export_mapping", "listen"):
        assert hasattr(bpy.ops.voxrig, name)
    assert "bl_ext.user_default.voxrig" in bpy.context.preferences.addons
    for panel in ("VOXRIG_PT_main", "VOXRIG_PT_mapping", "VOXRIG_PT_live"):
        assert hasattr(bpy.types, panel)


def test_add_demo_head_creates_the_ict_head_with_its_53_shape_keys_mapped():
    assert bpy.ops.voxrig.add_demo_head() == {"FINISHED"}
    obj = bpy.context.active_object
    rig = load_rig()
    blocks = obj.data.shape_keys.key_blocks
    assert [b.name for b in blocks][1:] == list(rig.expression_names)
    assert len(obj.data.vertices) == len(rig.neutral)
    triangles = int(np.sum(rig.faces[:, 3] == rig.faces[:, 2]))
    sizes = [len(p.vertices) for p in obj.data.polygons]
    assert sizes.count(3) == triangles and sizes.count(4) == len(rig.faces) - triangles
    jaw = np.empty(3 * len(rig.neutral), np.float32)
    blocks["jawOpen"].data.foreach_get("co", jaw)
    basis = np.empty_like(jaw)
    blocks["Basis"].data.foreach_get("co", basis)
    moved = np.linalg.norm((jaw - basis).reshape(-1, 3), axis=1).max()
    expected = np.linalg.norm(rig.deltas[rig.expression_names.index("jawOpen")], axis=1).max()
    assert moved == pytest.approx(expected * 0.01, rel=1e-4)  # cm -> m
    assert len(obj.voxrig_map) == 53 and all(row.source for row in obj.voxrig_map)


def test_bake_on_the_demo_head_keys_every_shape_key_with_the_clis_values():
    bpy.context.scene.render.fps = 24
    bpy.ops.voxrig.add_demo_head()
    obj = bpy.context.active_object
    assert _bake(start_frame=10) == {"FINISHED"}
    clip = _cli_clip(24.0)
    fcurves = _fcurves(obj.data.shape_keys)
    assert len(fcurves) == 53
    table = {row.shape_key: row.source for row in obj.voxrig_map}
    for fcurve in fcurves:
        key_name = fcurve.data_path.split('"')[1]
        assert fcurve.data_path == f'key_blocks["{key_name}"].value'
        keys = _values(fcurve)
        assert keys[0, 0] == 10 and keys[-1, 0] == 10 + clip.frame_count - 1
        np.testing.assert_allclose(keys[:, 1], clip.channel(table[key_name]), atol=1e-3)
    jaw = clip.channel("jawOpen")
    assert jaw.max() > 0.2  # the speech really opens the jaw
    bpy.context.scene.frame_set(10 + int(np.argmax(jaw)))
    assert obj.data.shape_keys.key_blocks["jawOpen"].value == pytest.approx(jaw.max(), abs=1e-3)


def test_emotion_and_idle_options_reach_the_bake_like_the_cli_options():
    obj = _mesh_with_keys(["jawOpen", "eyeBlinkLeft", "mouthSmileLeft"])
    assert _bake(emotion="NONE", idle=False) == {"FINISHED"}
    config = Config(fps=bpy.context.scene.render.fps)
    config.align.workers = 1
    config.emotion.mode, config.idle.enabled = "none", False
    clip = bake(SPEECH, None, config)
    curves = {f.data_path.split('"')[1]: _values(f)[:, 1] for f in _fcurves(obj.data.shape_keys)}
    for key, channel in (("jawOpen", "jawOpen"), ("eyeBlinkLeft", "eyeBlinkLeft"),
                         ("mouthSmileLeft", "mouthSmileLeft")):
        np.testing.assert_allclose(curves[key], clip.channel(channel), atol=1e-3)
    assert not np.allclose(curves["eyeBlinkLeft"], _cli_clip(bpy.context.scene.render.fps)
                           .channel("eyeBlinkLeft"), atol=1e-3)  # idle on blinks, off not


def test_a_bad_emotion_timeline_file_is_a_report(tmp_path):
    _mesh_with_keys(["jawOpen"])
    bad = tmp_path / "moods.json"
    bad.write_text("{not json")
    bpy.context.scene.voxrig.audio_path = str(SPEECH)
    bpy.context.scene.voxrig.emotion = "FILE"
    bpy.context.scene.voxrig.emotion_file = str(bad)
    assert "is not valid JSON" in _error_of(bpy.ops.voxrig.bake)


@pytest.mark.skipif(not bpy.app.build_options.audaspace,
                    reason="this bpy build has no audio (Audaspace): no sound strips")
def test_bake_places_the_audio_as_a_sound_strip_at_the_start_frame():
    bpy.ops.voxrig.add_demo_head()
    _bake(start_frame=25)
    strips = ADDON.bake.sound_strips(bpy.context.scene)
    assert len(strips) == 1
    assert strips[0].type == "SOUND" and strips[0].frame_start == 25
    assert Path(bpy.path.abspath(strips[0].sound.filepath)) == SPEECH


def test_bake_on_a_plain_mesh_with_arkit_and_viseme_keys_drives_only_the_matched_keys():
    bpy.context.scene.render.fps = 30
    obj = _mesh_with_keys(["JawOpen", "mouthSmile_L", "EyeBlinkLeft", "viseme_aa", "Freckles"])
    assert _bake(start_frame=1) == {"FINISHED"}
    clip = _cli_clip(30.0, visemes=True)
    curves = {f.data_path.split('"')[1]: _values(f)[:, 1] for f in _fcurves(obj.data.shape_keys)}
    assert sorted(curves) == ["EyeBlinkLeft", "JawOpen", "mouthSmile_L", "viseme_aa"]
    np.testing.assert_allclose(curves["JawOpen"], clip.channel("jawOpen"), atol=1e-3)
    np.testing.assert_allclose(curves["mouthSmile_L"], clip.channel("mouthSmileLeft"), atol=1e-3)
    aa = clip.visemes[:, clip.viseme_names.index("aa")]
    assert aa.max() > 0.1
    np.testing.assert_allclose(curves["viseme_aa"], aa, atol=1e-3)


def test_bake_uses_the_transcript_text_and_intensity_like_the_cli():
    bpy.context.scene.render.fps = 30
    obj = _mesh_with_keys(["jawOpen", "mouthClose"])
    text = bpy.data.texts.new("line")
    transcript = SPEECH.with_suffix(".txt").read_text(encoding="utf-8").strip()
    text.write(transcript)
    assert _bake(transcript_text=text, intensity=0.6) == {"FINISHED"}
    config = Config(fps=30.0)
    config.align.workers = 1
    config.animator.strength = 0.6
    clip = bake(SPEECH, transcript, config)
    assert clip.meta["phone_source"] != _cli_clip(30.0).meta["phone_source"]  # aligned
    curves = {f.data_path.split('"')[1]: _values(f)[:, 1] for f in _fcurves(obj.data.shape_keys)}
    np.testing.assert_allclose(curves["jawOpen"], clip.channel("jawOpen"), atol=1e-3)
    np.testing.assert_allclose(curves["mouthClose"], clip.channel("mouthClose"), atol=1e-3)


def test_the_engine_option_reaches_the_bake():
    bpy.context.scene.render.fps = 30
    obj = _mesh_with_keys(["jawOpen", "mouthFunnel"])
    text = bpy.data.texts.new("line")
    transcript = SPEECH.with_suffix(".txt").read_text(encoding="utf-8").strip()
    text.write(transcript)
    assert _bake(transcript_text=text, engine="NEURAL") == {"FINISHED"}
    config = Config(fps=30.0, engine="neural")
    config.align.workers = 1
    clip = bake(SPEECH, transcript, config)
    assert clip.meta["engine"] == "neural" and clip.meta["phone_source"] == "forced"
    curves = {f.data_path.split('"')[1]: _values(f)[:, 1] for f in _fcurves(obj.data.shape_keys)}
    np.testing.assert_allclose(curves["jawOpen"], clip.channel("jawOpen"), atol=1e-3)
    np.testing.assert_allclose(curves["mouthFunnel"], clip.channel("mouthFunnel"), atol=1e-3)
    # viseme shape keys: the neural engine makes visemes too (from the aligned phones here)
    obj = _mesh_with_keys(["jawOpen", "viseme_aa", "viseme_PP"])
    assert _bake(transcript_text=text, engine="NEURAL") == {"FINISHED"}
    config.visemes = True
    clip = bake(SPEECH, transcript, config)
    curves = {f.data_path.split('"')[1]: _values(f)[:, 1] for f in _fcurves(obj.data.shape_keys)}
    pp = clip.visemes[:, OVR15.index("PP")]
    np.testing.assert_allclose(curves["viseme_PP"], pp, atol=1e-3)
    assert curves["viseme_PP"].max() > 0.5  # the line's closures


@pytest.mark.skipif(not bpy.app.build_options.audaspace,
                    reason="this bpy build has no audio (Audaspace): no sound strips")
def test_baking_from_an_existing_sound_strip_adds_no_second_strip():
    obj = _mesh_with_keys(["jawOpen"])
    strip = ADDON.bake.place_sound(bpy.context.scene, str(SPEECH), 40, "line")
    settings = bpy.context.scene.voxrig
    settings.audio_path, settings.sound_strip, settings.start_frame = "", strip.name, 40
    assert bpy.ops.voxrig.bake() == {"FINISHED"}
    assert len(ADDON.bake.sound_strips(bpy.context.scene)) == 1
    assert _values(_fcurves(obj.data.shape_keys)[0])[0, 0] == 40


def test_the_mapping_table_is_saved_in_the_blend_file(tmp_path):
    obj = _mesh_with_keys(["JawOpen", "Freckles"])
    bpy.ops.voxrig.auto_map()
    obj.voxrig_map[1].source = "cheekPuff"
    path = tmp_path / "face.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.ops.wm.open_mainfile(filepath=str(path))
    rows = [(r.shape_key, r.source) for r in bpy.data.objects["Face"].voxrig_map]
    assert rows == [("JawOpen", "jawOpen"), ("Freckles", "cheekPuff")]


@pytest.mark.skipif(bpy.app.build_options.audaspace, reason="this bpy build has audio")
def test_without_audio_support_the_bake_still_keys_and_says_there_is_no_sound_strip():
    obj = _mesh_with_keys(["jawOpen"])
    assert _bake() == {"FINISHED"}
    assert len(_fcurves(obj.data.shape_keys)) == 1
    assert len(ADDON.bake.sound_strips(bpy.context.scene)) == 0


def test_existing_animation_is_kept_in_the_nla_and_replace_drops_it():
    obj = _mesh_with_keys(["jawOpen"])
    block = obj.data.shape_keys.key_blocks["jawOpen"]
    block.value = 0.5
    block.keyframe_insert("value", frame=1)
    old = obj.data.shape_keys.animation_data.action
    _bake()
    data = obj.data.shape_keys.animation_data
    assert data.action != old and data.action.name.startswith("voxrig")
    assert [s.action for t in data.nla_tracks for s in t.strips] == [old]
    baked = data.action
    _bake(replace=True)
    assert data.action not in (old, baked)
    assert [s.action for t in data.nla_tracks for s in t.strips] == [old]  # baked not pushed


def test_undo_after_a_bake_restores_the_animation_there_was():
    obj = _mesh_with_keys(["jawOpen"])
    block = obj.data.shape_keys.key_blocks["jawOpen"]
    block.value = 0.5
    block.keyframe_insert("value", frame=1)
    old = obj.data.shape_keys.animation_data.action.name
    bpy.ops.ed.undo_push(message="before the bake")
    bpy.context.scene.voxrig.audio_path = str(SPEECH)
    # Called as the UI calls it: the second argument asks for the operator's undo step.
    assert bpy.ops.voxrig.bake("EXEC_DEFAULT", True) == {"FINISHED"}
    assert obj.data.shape_keys.animation_data.action.name.startswith("voxrig")
    # Headless Blender has one window; undo needs it in the context.
    with bpy.context.temp_override(window=bpy.context.window_manager.windows[0]):
        bpy.ops.ed.undo()
    # Undo reloads the data: look everything up again by name.
    data = bpy.data.objects["Face"].data.shape_keys.animation_data
    assert data.action.name == old
    assert len(data.nla_tracks) == 0
    assert not any(a.name.startswith("voxrig") for a in bpy.data.actions)


def test_a_cancelled_bake_changes_nothing():
    obj = _mesh_with_keys(["jawOpen"])
    bpy.context.scene.voxrig.audio_path = str(SPEECH)
    job = ADDON.operators.BakeJob(bpy.context)
    assert job.config.align.workers == 1  # Blender must not fork
    job.cancel = True
    job.run()
    assert job.error == "cancelled" and job.clip is None
    assert obj.data.shape_keys.animation_data is None


def test_the_background_bake_runs_in_a_thread_and_is_applied_on_the_main_thread():
    import threading

    bpy.context.scene.render.fps = 30
    obj = _mesh_with_keys(["jawOpen"])
    bpy.context.scene.voxrig.audio_path = str(SPEECH)
    job = ADDON.operators.BakeJob(bpy.context)
    worker = threading.Thread(target=job.run)
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive() and job.error is None and job.progress == 1.0
    level, text = job.apply(bpy.context)
    assert text.startswith(f"baked {job.clip.frame_count} frames onto 1 shape keys")
    values = _values(_fcurves(obj.data.shape_keys)[0])[:, 1]
    np.testing.assert_allclose(values, _cli_clip(30.0).channel("jawOpen"), atol=1e-3)


def test_bake_without_a_selected_mesh_is_a_report():
    bpy.context.scene.voxrig.audio_path = str(SPEECH)
    assert "select a mesh" in _error_of(bpy.ops.voxrig.bake)


def test_bake_on_a_mesh_without_shape_keys_is_a_report():
    _mesh_with_keys([])
    assert "has no shape keys" in _error_of(bpy.ops.voxrig.bake)


def test_bake_with_nothing_mapped_is_a_report():
    _mesh_with_keys(["Freckles", "Key 1"])
    bpy.context.scene.voxrig.audio_path = str(SPEECH)
    assert "nothing mapped" in _error_of(bpy.ops.voxrig.bake)


def test_unreadable_audio_is_reported_with_voxrigs_audio_error(tmp_path):
    _mesh_with_keys(["jawOpen"])
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF not really audio")
    with pytest.raises(VoxrigError) as expected:
        probe(broken)
    bpy.context.scene.voxrig.audio_path = str(broken)
    assert str(expected.value) in _error_of(bpy.ops.voxrig.bake)


def test_the_mapping_table_exports_to_a_file_voxrig_stream_reads(tmp_path):
    _mesh_with_keys(["JawOpen", "EyeBlink_L", "viseme_aa"])
    bpy.ops.voxrig.auto_map()
    out = tmp_path / "face.json"
    assert bpy.ops.voxrig.export_mapping(filepath=str(out)) == {"FINISHED"}
    names = dict((name, i) for i, name in load_mapping(out).sent())
    assert set(names) == {"JawOpen", "EyeBlink_L"}
    assert json.loads(out.read_text())["format"] == "voxrig.mapping"


def test_listen_drives_the_shape_keys_from_voxrig_stream_generic_osc():
    from voxrig.bridge.live.protocols import Encoder

    obj = _mesh_with_keys(["JawOpen", "mouthSmile_L"])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe_sock:
        probe_sock.bind(("127.0.0.1", 0))
        port = probe_sock.getsockname()[1]
    bpy.context.scene.voxrig.live_port = port
    assert bpy.ops.voxrig.listen() == {"FINISHED"} and ADDON.live.is_listening()
    weights = np.zeros(52, np.float32)
    weights[17], weights[23] = 0.75, 0.25  # jawOpen, mouthSmileLeft
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for datagram in Encoder("generic").datagrams(7, 0.1, weights):
            sender.sendto(datagram, ("127.0.0.1", port))
    import time

    deadline = time.monotonic() + 2
    while not ADDON.live.poll() and time.monotonic() < deadline:
        time.sleep(0.01)
    blocks = obj.data.shape_keys.key_blocks
    assert blocks["JawOpen"].value == pytest.approx(0.75)
    assert blocks["mouthSmile_L"].value == pytest.approx(0.25)
    assert bpy.ops.voxrig.listen() == {"FINISHED"} and not ADDON.live.is_listening()


def test_listen_on_a_port_in_use_is_a_report():
    _mesh_with_keys(["jawOpen"])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        bpy.context.scene.voxrig.live_port = taken.getsockname()[1]
        assert "is in use" in _error_of(bpy.ops.voxrig.listen)
    assert not ADDON.live.is_listening()
