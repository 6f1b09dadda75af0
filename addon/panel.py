"""The voxrig tab in the 3D View sidebar."""

import bpy

from . import live, operators


class VOXRIG_UL_mapping(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_property):
        row = layout.row(align=True)
        row.label(text=item.shape_key, icon="SHAPEKEY_DATA")
        row.prop(item, "source", text="")


class VOXRIG_PT_main(bpy.types.Panel):
    bl_idname = "VOXRIG_PT_main"
    bl_label = "voxrig"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "voxrig"

    def draw(self, context):
        layout = self.layout
        settings = context.scene.voxrig
        layout.operator("voxrig.add_demo_head", icon="USER")
        col = layout.column()
        col.prop(settings, "audio_path")
        if context.scene.sequence_editor is not None:
            strips_owner = context.scene.sequence_editor
            collection = "strips" if hasattr(strips_owner, "strips") else "sequences"
            col.prop_search(settings, "sound_strip", strips_owner, collection)
        col.prop(settings, "transcript_path")
        col.prop(settings, "transcript_text")
        col.prop(settings, "target")
        col.prop(settings, "engine")
        row = col.row()
        row.label(text=f"Frame rate: {context.scene.render.fps / context.scene.render.fps_base:g}"
                       " (scene)")
        col.prop(settings, "start_frame")
        col.prop(settings, "intensity")
        col.prop(settings, "emotion")
        if settings.emotion == "FILE":
            col.prop(settings, "emotion_file")
        col.prop(settings, "idle")
        col.prop(settings, "listen_mode")
        col.prop(settings, "replace")
        col.prop(settings, "add_sound")
        if operators.baking():
            if hasattr(layout, "progress"):
                layout.progress(factor=settings.progress, text=settings.status or "baking")
            else:
                layout.label(text=f"{settings.status} {100 * settings.progress:.0f}%")
            layout.operator("voxrig.cancel_bake", icon="CANCEL")
        else:
            layout.operator("voxrig.bake", icon="PLAY_SOUND")


class VOXRIG_PT_mapping(bpy.types.Panel):
    bl_label = "Mapping"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "voxrig"
    bl_parent_id = "VOXRIG_PT_main"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        obj = context.scene.voxrig.target or context.active_object
        if obj is None or obj.type != "MESH":
            layout.label(text="Select a mesh with shape keys")
            return
        row = layout.row(align=True)
        row.operator("voxrig.auto_map", icon="AUTO")
        row.operator("voxrig.export_mapping", icon="EXPORT")
        layout.template_list("VOXRIG_UL_mapping", "", obj, "voxrig_map",
                             context.scene.voxrig, "map_index", rows=6)


class VOXRIG_PT_live(bpy.types.Panel):
    bl_label = "Live preview"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "voxrig"
    bl_parent_id = "VOXRIG_PT_main"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        layout.prop(context.scene.voxrig, "live_port")
        listening = live.is_listening()
        layout.operator("voxrig.listen", text="Stop listening" if listening else "Listen",
                        icon="PAUSE" if listening else "REC", depress=listening)
        if listening:
            layout.label(text=live.status())


CLASSES = (VOXRIG_UL_mapping, VOXRIG_PT_main, VOXRIG_PT_mapping, VOXRIG_PT_live)
