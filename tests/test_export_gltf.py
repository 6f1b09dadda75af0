"""glTF 2.0 binary of the ICT head: loaded back with pygltflib and checked by the Khronos
glTF validator (npm `gltf-validator`, installed by .ci/run into .ci/node)."""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pygltflib
import pytest

from voxrig.bridge.exporters import ExportOptions
from voxrig.bridge.exporters.gltf import arkit_targets, head_mesh, triangulate, write
from voxrig.core.clip import Clip
from voxrig.core.names import ARKIT52
from voxrig.core.rig import load_rig

ROOT = Path(__file__).resolve().parents[1]
VALIDATOR = ROOT / ".ci" / "node" / "node_modules" / "gltf-validator"
VALIDATE_JS = """
const fs = require('fs');
const validator = require(process.argv[1]);
validator.validateBytes(new Uint8Array(fs.readFileSync(process.argv[2])), {maxIssues: 20})
  .then(r => console.log(JSON.stringify(r.issues)),
        e => { console.error(String(e)); process.exit(2); });
"""
COMPONENTS = {5126: np.float32, 5123: np.uint16, 5125: np.uint32}
WIDTH = {"SCALAR": 1, "VEC3": 3}


@pytest.fixture(scope="module")
def clip() -> Clip:
    t = np.arange(45)[:, None] / 30.0
    weights = np.zeros((45, 52), np.float32)
    weights[:, ARKIT52.index("jawOpen")] = 0.3 * np.sin(np.pi * t[:, 0] / 1.5) ** 2
    weights[:, ARKIT52.index("eyeBlinkLeft")] = (t[:, 0] > 1.0).astype(np.float32)
    weights[:, ARKIT52.index("tongueOut")] = 0.5
    return Clip(fps=30.0, weights=weights)


@pytest.fixture(scope="module")
def glb(clip, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("gltf") / "head.glb"
    path.write_bytes(write(clip, ExportOptions(name="line")))
    return path


def read(gltf: pygltflib.GLTF2, index: int) -> np.ndarray:
    """An accessor's values, sparse ones included, decoded from the binary blob."""
    acc = gltf.accessors[index]
    blob = gltf.binary_blob()
    width = WIDTH[acc.type]
    dtype = COMPONENTS[acc.componentType]
    if acc.bufferView is None:
        out = np.zeros((acc.count, width), dtype)
    else:
        view = gltf.bufferViews[acc.bufferView]
        start = view.byteOffset + (acc.byteOffset or 0)
        out = np.frombuffer(blob, dtype, acc.count * width, start).reshape(-1, width).copy()
    if acc.sparse is not None:
        iv = gltf.bufferViews[acc.sparse.indices.bufferView]
        idx = np.frombuffer(blob, COMPONENTS[acc.sparse.indices.componentType],
                            acc.sparse.count, iv.byteOffset)
        vv = gltf.bufferViews[acc.sparse.values.bufferView]
        out[idx] = np.frombuffer(blob, dtype, acc.sparse.count * width,
                                 vv.byteOffset).reshape(-1, width)
    return out


def test_the_khronos_validator_finds_no_errors_or_warnings(glb):
    node = shutil.which("node")
    if node is None or not VALIDATOR.is_dir():
        pytest.fail("the Khronos glTF validator is missing: install node and run "
                    "`npm install --prefix .ci/node gltf-validator@2.0.0-dev.3.10` (.ci/run does)")
    result = subprocess.run([node, "-e", VALIDATE_JS, str(VALIDATOR), str(glb)],
                            capture_output=True, text=True, timeout=120, check=True)
    issues = json.loads(result.stdout)
    assert issues["numErrors"] == 0 and issues["numWarnings"] == 0, issues["messages"]


def test_the_head_mesh_has_every_drawn_part_as_triangles(glb):
    gltf = pygltflib.GLTF2().load(str(glb))
    mesh = gltf.meshes[0]
    materials = [gltf.materials[p.material].name for p in mesh.primitives]
    assert materials == ["M_Face", "M_BackHead", "M_GumsTongue", "M_Teeth", "M_ScleraLeft",
                         "M_ScleraRight", "M_IrisLeft", "M_IrisRight"]
    rig = load_rig()
    used, _, _ = head_mesh(rig)
    positions = read(gltf, mesh.primitives[0].attributes.POSITION)
    assert np.allclose(positions, rig.neutral[used] * 0.01, atol=1e-7)  # metres
    normals = read(gltf, mesh.primitives[0].attributes.NORMAL)
    assert np.allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-5)
    for prim, name in zip(mesh.primitives, materials, strict=True):
        quads = rig.faces[rig.face_material == rig.material_names.index(name)]
        expected = len(quads) + int(np.sum(quads[:, 2] != quads[:, 3]))
        assert gltf.accessors[prim.indices].count == 3 * expected


def test_each_arkit_channel_the_rig_has_is_a_morph_target_of_its_deltas(glb):
    gltf = pygltflib.GLTF2().load(str(glb))
    mesh = gltf.meshes[0]
    names = mesh.extras["targetNames"]
    assert names == [n for n in ARKIT52 if n != "tongueOut"]
    rig = load_rig()
    used, remap, _ = head_mesh(rig)
    expected = dict(arkit_targets(rig))
    for k in (names.index("jawOpen"), names.index("mouthSmileLeft")):
        deltas = read(gltf, mesh.primitives[0].targets[k]["POSITION"])
        want = np.zeros((len(used), 3))
        moved = remap[rig.vertex_index]
        want[moved[moved >= 0]] = expected[names[k]][moved >= 0] * 0.01
        assert np.max(np.abs(deltas - want)) < 1.1e-6
    assert all(p.targets == mesh.primitives[0].targets for p in mesh.primitives)
    assert mesh.weights == [0.0] * len(names)


def test_the_animation_plays_the_clips_weights_at_its_frames(glb, clip):
    gltf = pygltflib.GLTF2().load(str(glb))
    anim = gltf.animations[0]
    assert anim.name == "line"
    sampler = anim.samplers[0]
    assert sampler.interpolation == "LINEAR"
    assert anim.channels[0].target.path == "weights" and anim.channels[0].target.node == 0
    times = read(gltf, sampler.input)[:, 0]
    assert np.allclose(times, clip.times, atol=1e-6)
    names = gltf.meshes[0].extras["targetNames"]
    weights = read(gltf, sampler.output).reshape(clip.frame_count, len(names))
    for k, name in enumerate(names):
        assert np.allclose(weights[:, k], clip.channel(name), atol=1e-6)
    assert weights.min() >= 0.0 and weights.max() <= 1.0


def test_the_file_stays_small_enough_to_mail(glb):
    assert glb.stat().st_size < 8_000_000


def test_quads_become_two_triangles_and_triangles_stay_one():
    quads = np.array([[0, 1, 2, 3], [4, 5, 6, 6]])
    assert triangulate(quads).tolist() == [[0, 1, 2], [4, 5, 6], [0, 2, 3]]
