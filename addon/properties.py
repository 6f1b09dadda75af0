"""The add-on's settings (per scene) and the shape key mapping table (per object, in the .blend)."""

import bpy


def _is_mesh(_self, obj) -> bool:
    return obj.type == "MESH"


class VoxrigMapRow(bpy.types.PropertyGroup):
    """One shape key and the voxrig channel that drives it (ARKit name or viseme:<OVR>)."""

    shape_key: bpy.props.StringProperty(name="Shape key")
    source: bpy.props.StringProperty(
        name="Channel", description="ARKit-52 name (jawOpen) or viseme:<name> (viseme:aa); "
        "empty leaves the key alone")


class VoxrigSettings(bpy.types.PropertyGroup):
    audio_path: bpy.props.StringProperty(
        name="Audio", subtype="FILE_PATH",
        description="Speech audio (wav, flac, ogg, mp3); empty uses the sound strip below")
    sound_strip: bpy.props.StringProperty(
        name="Sound strip", description="An existing sound strip to bake from")
    transcript_path: bpy.props.StringProperty(
        name="Transcript file", subtype="FILE_PATH",
        description="Optional: what is said (UTF-8 text); makes the timing exact")
    transcript_text: bpy.props.PointerProperty(
        name="Transcript text", type=bpy.types.Text,
        description="Optional: a Text datablock holding what is said")
    target: bpy.props.PointerProperty(
        name="Target", type=bpy.types.Object, poll=_is_mesh,
        description="Mesh with shape keys; empty uses the active object")
    engine: bpy.props.EnumProperty(
        name="Engine", default="AUTO",
        items=[("AUTO", "Auto", "Neural, given the transcript's aligned phones when there "
                 "is one"),
               ("PHONETIC", "Phonetic", "Phones found by pocketsphinx (aligned to the "
                "transcript if given), animated by rules"),
               ("NEURAL", "Neural", "The audio-to-face model: any language, no recognition; "
                "a transcript's aligned phones guide it")])
    start_frame: bpy.props.IntProperty(name="Start frame", default=1)
    intensity: bpy.props.FloatProperty(
        name="Intensity", default=1.0, min=0.0, soft_max=2.0,
        description="Articulation strength: 0 still, 1 natural, above 1 crisper")
    emotion: bpy.props.EnumProperty(
        name="Emotion", default="AUTO",
        items=[("AUTO", "Auto", "Expression from the transcript's words and the voice"),
               ("NONE", "None", "Speech only, no expression"),
               ("FILE", "Timeline file", "A voxrig.emotion timeline file")])
    emotion_file: bpy.props.StringProperty(name="Emotion timeline", subtype="FILE_PATH")
    idle: bpy.props.BoolProperty(name="Idle motion", default=True,
                                 description="Blinks, gaze and breaths between words")
    listen_mode: bpy.props.BoolProperty(
        name="Listening", default=False,
        description="The face listens to the speech instead of saying it (no lip motion)")
    replace: bpy.props.BoolProperty(
        name="Replace animation", default=False,
        description="Replace the shape keys' current action instead of keeping it in the NLA")
    add_sound: bpy.props.BoolProperty(
        name="Add sound strip", default=True,
        description="Place the audio in the sequencer at the start frame for synced playback")
    progress: bpy.props.FloatProperty(name="Progress", min=0.0, max=1.0, subtype="FACTOR")
    status: bpy.props.StringProperty(name="Status")
    live_port: bpy.props.IntProperty(name="Port", default=8000, min=1, max=65535,
                                     description="UDP port of `voxrig stream --protocol generic`")
    map_index: bpy.props.IntProperty()


CLASSES = (VoxrigMapRow, VoxrigSettings)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.voxrig = bpy.props.PointerProperty(type=VoxrigSettings)
    bpy.types.Object.voxrig_map = bpy.props.CollectionProperty(type=VoxrigMapRow)


def unregister() -> None:
    del bpy.types.Object.voxrig_map
    del bpy.types.Scene.voxrig
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
