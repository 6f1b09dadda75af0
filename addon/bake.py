"""Writing a baked clip into Blender: one F-curve per mapped shape key, and the sound strip.

Blender 4.4+ has slotted actions (5.0 removed `Action.fcurves`); 4.2 / 4.3 have the legacy
API. Both are written here, chosen by what the running Blender has."""

import bpy
import numpy as np

from voxrig.core.clip import Clip
from voxrig.core.shape_keys import VISEME_PREFIX

LINEAR = 1  # the LINEAR item of the keyframe interpolation enum, for foreach_set


def scene_fps(scene) -> float:
    return scene.render.fps / scene.render.fps_base


def needs_visemes(table: dict[str, str]) -> bool:
    return any(source.startswith(VISEME_PREFIX) for source in table.values())


def clip_columns(clip: Clip, table: dict[str, str]) -> dict[str, np.ndarray]:
    """Shape key -> its curve (one value per clip frame)."""
    columns = {}
    for key_name, source in table.items():
        if source.startswith(VISEME_PREFIX):
            assert clip.visemes is not None
            values = clip.visemes[:, clip.viseme_names.index(source[len(VISEME_PREFIX):])]
        else:
            values = clip.weights[:, clip.channels.index(source)]
        columns[key_name] = values
    return columns


def _new_fcurves(action, key):
    """The F-curve collection of a new action for `key`, and the slot (None on 4.2 / 4.3)."""
    if not hasattr(action, "slots"):
        return action.fcurves, None
    from bpy_extras.anim_utils import action_ensure_channelbag_for_slot

    slot = action.slots.new(id_type="KEY", name=key.name)
    return action_ensure_channelbag_for_slot(action, slot).fcurves, slot


def _fill(fcurve, frames: np.ndarray, values: np.ndarray) -> None:
    count = len(frames)
    fcurve.keyframe_points.add(count)
    co = np.empty(2 * count, np.float32)
    co[0::2] = frames
    co[1::2] = values
    fcurve.keyframe_points.foreach_set("co", co)
    fcurve.keyframe_points.foreach_set("interpolation", np.full(count, LINEAR, np.int32))
    fcurve.update()


def write_action(key, columns: dict[str, np.ndarray], start_frame: int, name: str,
                 replace: bool = False):
    """A new action on the Key, keyed at start_frame + i for clip frame i.

    The Key's current action is kept, pushed down to an NLA track (like Blender's Push Down),
    unless `replace` is set; the new action becomes the active one, so it is what plays."""
    action = bpy.data.actions.new(name)
    fcurves, slot = _new_fcurves(action, key)
    for key_name, values in columns.items():
        fcurve = fcurves.new(f'key_blocks["{bpy.utils.escape_identifier(key_name)}"].value',
                             index=0)
        frames = start_frame + np.arange(len(values), dtype=np.float32)
        _fill(fcurve, frames, np.asarray(values, np.float32))
    data = key.animation_data or key.animation_data_create()
    old = data.action
    if old is not None and not replace:
        track = data.nla_tracks.new()
        track.name = old.name
        strip = track.strips.new(old.name, int(old.frame_range[0]), old)
        if slot is not None and data.action_slot is not None:
            strip.action_slot = data.action_slot
        data.action = None
    data.action = action
    if slot is not None:
        data.action_slot = slot
    return action


def sound_strips(scene):
    """The sequencer's strips (`strips` on 5.0, `sequences` before)."""
    editor = scene.sequence_editor
    if editor is None:
        return []
    return editor.strips if hasattr(editor, "strips") else editor.sequences


def place_sound(scene, path: str, start_frame: int, name: str):
    """The audio as a sound strip at the start frame, on the first free channel."""
    editor = scene.sequence_editor or scene.sequence_editor_create()
    strips = editor.strips if hasattr(editor, "strips") else editor.sequences
    used = [strip.channel for strip in strips]
    channel = max(used, default=0) + 1
    return strips.new_sound(name, path, channel, start_frame)
