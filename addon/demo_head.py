"""The ICT demo head as a Blender mesh with its 53 shape keys (ICT names: `jawOpen`,
`eyeBlink_L`, ...), so a new user can bake onto a real face in one click."""

import bpy
import numpy as np

from voxrig.core.rig import load_rig

SCALE = 0.01  # the rig is in cm; Blender scenes are in m


def _to_blender(vertices: np.ndarray) -> np.ndarray:
    """ICT is Y-up, looking down +Z; Blender is Z-up, looking down -Y."""
    x, y, z = vertices[:, 0], vertices[:, 1], vertices[:, 2]
    return (np.stack([x, -z, y], axis=1) * SCALE).astype(np.float32)


def add_demo_head(context, name: str = "voxrig demo head"):
    rig = load_rig()
    faces = rig.faces
    triangle = faces[:, 3] == faces[:, 2]
    sizes = np.where(triangle, 3, 4).astype(np.int32)
    loops = faces[np.arange(4)[None, :] < sizes[:, None]].astype(np.int32)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int32)

    mesh = bpy.data.meshes.new(name)
    neutral = _to_blender(rig.neutral)
    mesh.vertices.add(len(neutral))
    mesh.vertices.foreach_set("co", neutral.ravel())
    mesh.loops.add(len(loops))
    mesh.loops.foreach_set("vertex_index", loops)
    mesh.polygons.add(len(faces))
    mesh.polygons.foreach_set("loop_start", starts)
    mesh.polygons.foreach_set("use_smooth", np.ones(len(faces), bool))
    for material_name in rig.material_names:
        mesh.materials.append(bpy.data.materials.get(material_name)
                              or bpy.data.materials.new(material_name))
    mesh.polygons.foreach_set("material_index", rig.face_material.astype(np.int32))
    mesh.update()
    mesh.validate()

    obj = bpy.data.objects.new(name, mesh)
    context.scene.collection.objects.link(obj)
    obj.shape_key_add(name="Basis", from_mix=False)
    for index, expression in enumerate(rig.expression_names):
        posed = rig.neutral.copy()
        posed[rig.vertex_index] += rig.deltas[index]
        block = obj.shape_key_add(name=expression, from_mix=False)
        block.data.foreach_set("co", _to_blender(posed).ravel())
    for other in context.view_layer.objects:
        other.select_set(False)
    obj.select_set(True)
    context.view_layer.objects.active = obj
    return obj
