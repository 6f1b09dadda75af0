"""glTF 2.0 binary (`.glb`): the bundled ICT head (face, back of the head, mouth, teeth,
gums and tongue, eyes) with one morph target per ARKit channel the rig has and the clip as
an animation of the mesh's morph weights, so any glTF viewer plays it.

Positions are in metres (+Y up, the face looking down +Z, as glTF expects). Morph targets
hold POSITION deltas as sparse accessors (only the vertices an expression moves), which
keeps a 51-target head near 6 MB. The animation samples the weights at every frame of the
clip with LINEAR interpolation. Quads are split into two triangles; the rig's triangles
(quads whose last index repeats) stay one."""

from __future__ import annotations

import json
import struct

import numpy as np

from voxrig.core.clip import Clip
from voxrig.core.names import ARKIT52
from voxrig.core.rig import Rig, load_rig

from ..version import voxrig_version
from .options import ExportOptions

CM_TO_M = 0.01
MIN_DELTA_M = 1e-6  # a vertex moving less than this (1 micrometre) is left out of a target

# Materials drawn, with a flat colour each (transparent overlays of the rig are left out).
MATERIAL_COLOURS: dict[str, tuple[float, float, float]] = {
    "M_Face": (0.80, 0.62, 0.52),
    "M_BackHead": (0.80, 0.62, 0.52),
    "M_GumsTongue": (0.72, 0.30, 0.32),
    "M_Teeth": (0.93, 0.91, 0.85),
    "M_ScleraLeft": (0.95, 0.95, 0.93),
    "M_ScleraRight": (0.95, 0.95, 0.93),
    "M_IrisLeft": (0.25, 0.17, 0.10),
    "M_IrisRight": (0.25, 0.17, 0.10),
}

FLOAT, UINT16, UINT32 = 5126, 5123, 5125
ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER = 34962, 34963


class _Bin:
    """The binary chunk and its buffer views / accessors, built up in order."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.views: list[dict] = []
        self.accessors: list[dict] = []

    def view(self, array: np.ndarray, target: int | None = None) -> int:
        while len(self.data) % 4:
            self.data.append(0)
        raw = np.ascontiguousarray(array).tobytes()
        view = {"buffer": 0, "byteOffset": len(self.data), "byteLength": len(raw)}
        if target is not None:
            view["target"] = target
        self.data += raw
        self.views.append(view)
        return len(self.views) - 1

    def accessor(self, array: np.ndarray, kind: str, target: int | None = None,
                 bounds: bool = False) -> int:
        component = {np.dtype(np.float32): FLOAT, np.dtype(np.uint16): UINT16,
                     np.dtype(np.uint32): UINT32}[array.dtype]
        acc = {"bufferView": self.view(array, target), "componentType": component,
               "count": int(array.shape[0]), "type": kind}
        if bounds:
            acc.update(_bounds(array))
        self.accessors.append(acc)
        return len(self.accessors) - 1

    def sparse_accessor(self, count: int, indices: np.ndarray, values: np.ndarray) -> int:
        """A VEC3 float accessor of `count` zeros except `values` at `indices`."""
        dense_bounds = _bounds(np.vstack([values, np.zeros((1, 3), np.float32)])
                               if len(values) < count else values)
        acc = {"componentType": FLOAT, "count": count, "type": "VEC3", **dense_bounds}
        if len(indices):
            index_type = np.uint16 if count < 65536 else np.uint32
            acc["sparse"] = {
                "count": int(len(indices)),
                "indices": {"bufferView": self.view(indices.astype(index_type)),
                            "componentType": UINT16 if index_type is np.uint16 else UINT32},
                "values": {"bufferView": self.view(values.astype(np.float32))},
            }
        self.accessors.append(acc)
        return len(self.accessors) - 1


def _bounds(array: np.ndarray) -> dict:
    flat = array.reshape(len(array), -1)
    return {"min": [float(x) for x in flat.min(axis=0)],
            "max": [float(x) for x in flat.max(axis=0)]}


def head_mesh(rig: Rig) -> tuple[np.ndarray, np.ndarray, list[tuple[str, np.ndarray]]]:
    """(used vertex ids, old->new index map, [(material, triangles in new indices)])."""
    groups = []
    for name in MATERIAL_COLOURS:
        quads = rig.faces[rig.face_material == rig.material_names.index(name)]
        groups.append((name, triangulate(quads)))
    used = np.unique(np.concatenate([tris.ravel() for _, tris in groups]))
    remap = np.full(len(rig.neutral), -1, np.int64)
    remap[used] = np.arange(len(used))
    return used, remap, [(name, remap[tris]) for name, tris in groups]


def triangulate(quads: np.ndarray) -> np.ndarray:
    """Quads (a, b, c, d) -> triangles (a, b, c), (a, c, d); a quad whose last index repeats
    is already a triangle."""
    first = quads[:, [0, 1, 2]]
    real = quads[:, 2] != quads[:, 3]
    second = quads[real][:, [0, 2, 3]]
    return np.vstack([first, second])


def vertex_normals(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    a, b, c = (vertices[triangles[:, k]] for k in range(3))
    face = np.cross(b - a, c - a)  # area-weighted
    normals = np.zeros_like(vertices)
    for k in range(3):
        np.add.at(normals, triangles[:, k], face)
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    fallback = np.array([0.0, 0.0, 1.0], np.float32)
    return np.where(length > 1e-12, normals / np.maximum(length, 1e-12), fallback)


def arkit_targets(rig: Rig) -> list[tuple[str, np.ndarray]]:
    """(ARKit name, (N, 3) cm deltas of rig.vertex_index) for every channel the rig has."""
    out = []
    for i, name in enumerate(ARKIT52):
        row = rig.arkit_to_ict[i]
        if not row.any():
            continue  # tongueOut: the ICT rig has no shape for it
        out.append((name, np.tensordot(row, rig.deltas, axes=1)))
    return out


def write(clip: Clip, options: ExportOptions) -> bytes:
    rig = load_rig()
    used, remap, groups = head_mesh(rig)
    positions = (rig.neutral[used] * CM_TO_M).astype(np.float32)
    all_tris = np.vstack([tris for _, tris in groups])
    normals = vertex_normals(positions.astype(np.float64), all_tris).astype(np.float32)

    out = _Bin()
    pos_acc = out.accessor(positions, "VEC3", ARRAY_BUFFER, bounds=True)
    nrm_acc = out.accessor(normals, "VEC3", ARRAY_BUFFER)
    index_type = np.uint16 if len(used) < 65536 else np.uint32
    index_accs = [out.accessor(tris.astype(index_type).ravel(), "SCALAR", ELEMENT_ARRAY_BUFFER)
                  for _, tris in groups]

    target_names, targets = [], []
    moved = remap[rig.vertex_index]
    for name, deltas in arkit_targets(rig):
        delta_m = (deltas * CM_TO_M).astype(np.float32)
        keep = (moved >= 0) & (np.abs(delta_m).max(axis=1) >= MIN_DELTA_M)
        order = np.argsort(moved[keep])
        idx, values = moved[keep][order], delta_m[keep][order]
        targets.append({"POSITION": out.sparse_accessor(len(used), idx, values)})
        target_names.append(name)

    weights = np.zeros((clip.frame_count, len(target_names)), np.float32)
    for k, name in enumerate(target_names):
        if name in clip.channels:
            weights[:, k] = np.clip(clip.channel(name), 0.0, 1.0)
    time_acc = out.accessor(clip.times.astype(np.float32), "SCALAR", bounds=True)
    weight_acc = out.accessor(weights.ravel(), "SCALAR")

    primitives = [
        {"attributes": {"POSITION": pos_acc, "NORMAL": nrm_acc}, "indices": index_accs[k],
         "material": k, "mode": 4, "targets": targets}
        for k in range(len(groups))
    ]
    materials = [
        {"name": name, "pbrMetallicRoughness": {
            "baseColorFactor": [*MATERIAL_COLOURS[name], 1.0],
            "metallicFactor": 0.0, "roughnessFactor": 0.6 if "Iris" in name else 0.8}}
        for name, _ in groups
    ]
    gltf = {
        "asset": {"version": "2.0", "generator": f"voxrig {voxrig_version()}",
                  "copyright": "ICT FaceKit head (MIT), see voxrig's assets/ict-face"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"name": "Face", "mesh": 0}],
        "meshes": [{"name": "ICTFace", "primitives": primitives,
                    "weights": [0.0] * len(target_names),
                    "extras": {"targetNames": target_names}}],
        "materials": materials,
        "animations": [{
            "name": options.name,
            "samplers": [{"input": time_acc, "interpolation": "LINEAR", "output": weight_acc}],
            "channels": [{"sampler": 0, "target": {"node": 0, "path": "weights"}}],
        }],
        "buffers": [{"byteLength": len(out.data)}],
        "bufferViews": out.views,
        "accessors": out.accessors,
    }
    return _glb(json.dumps(gltf, separators=(",", ":")).encode("utf-8"), bytes(out.data))


def _glb(json_chunk: bytes, bin_chunk: bytes) -> bytes:
    json_chunk += b" " * (-len(json_chunk) % 4)
    bin_chunk += b"\0" * (-len(bin_chunk) % 4)
    total = 12 + 8 + len(json_chunk) + 8 + len(bin_chunk)
    return b"".join([
        struct.pack("<4sII", b"glTF", 2, total),
        struct.pack("<I4s", len(json_chunk), b"JSON"), json_chunk,
        struct.pack("<I4s", len(bin_chunk), b"BIN\0"), bin_chunk,
    ])


def looks_like(head: bytes) -> bool:
    return head[:4] == b"glTF" and b'"generator":"voxrig' in head
