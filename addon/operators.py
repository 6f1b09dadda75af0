"""The add-on's buttons. Every failure a user can cause is a one-line Blender report."""

import os
import threading
from pathlib import Path

import bpy
from bpy_extras.io_utils import ExportHelper

from voxrig.core.errors import VoxrigError

from . import bake, mapping
from .demo_head import add_demo_head


class UserError(Exception):
    """Something the user can fix; its message is the report."""


class Cancelled(Exception):
    pass


def target_mesh(context):
    """The mesh a bake or a live session drives, or a UserError saying what to select."""
    settings = context.scene.voxrig
    obj = settings.target or context.active_object
    if obj is None or obj.type != "MESH":
        raise UserError("select a mesh with shape keys (or set Target in the voxrig panel)")
    if obj.data.shape_keys is None or not mapping.shape_key_names(obj):
        raise UserError(f"{obj.name!r} has no shape keys to animate; add shape keys "
                        "(or try 'Add demo head')")
    return obj


def mapped_channels(obj) -> dict[str, str]:
    """The mesh's mapping table (shape key -> channel), or a UserError saying what to fix."""
    table, problems = mapping.read_table(obj)
    if problems:
        raise UserError(f"mapping table of {obj.name!r}: {problems[0]}")
    if not table:
        raise UserError(f"nothing mapped: none of the shape keys of {obj.name!r} is driven by "
                        "a voxrig channel; fill the Channel column of the mapping table")
    return table


def _audio(context) -> str:
    settings = context.scene.voxrig
    if settings.audio_path.strip():
        return bpy.path.abspath(settings.audio_path)
    if settings.sound_strip:
        strip = {s.name: s for s in bake.sound_strips(context.scene)}.get(settings.sound_strip)
        if strip is None or getattr(strip, "sound", None) is None:
            raise UserError(f"sound strip {settings.sound_strip!r} does not exist")
        return bpy.path.abspath(strip.sound.filepath, library=strip.sound.library)
    raise UserError("choose an audio file (or a sound strip) to bake")


def _transcript(context) -> str | None:
    settings = context.scene.voxrig
    if settings.transcript_text is not None:
        return settings.transcript_text.as_string().strip() or None
    if settings.transcript_path.strip():
        from voxrig.bridge.transcripts import transcript_from

        # the CLI's reader: a folder, a huge or non-UTF-8 file, a bad tag are one line each
        return transcript_from(bpy.path.abspath(settings.transcript_path), None).strip()
    return None


def _emotion_mode(settings) -> str:
    """The EmotionConfig mode: auto, none, or a checked timeline file."""
    if settings.emotion != "FILE":
        return settings.emotion.lower()
    if not settings.emotion_file.strip():
        raise UserError("choose an emotion timeline file (or set Emotion to Auto or None)")
    from voxrig.core.emotion.tags import load_timeline

    path = bpy.path.abspath(settings.emotion_file)
    load_timeline(path)  # a bad file is reported before the bake starts
    return path


class BakeJob:
    """What one bake needs, gathered on the main thread, so the work can run in a thread."""

    def __init__(self, context):
        from voxrig.bridge.bake_config import bake_config

        settings = context.scene.voxrig
        self.obj = target_mesh(context)
        self.table = mapped_channels(self.obj)
        self.audio = _audio(context)
        self.from_strip = not settings.audio_path.strip()  # its audio is in the sequencer
        self.transcript = _transcript(context)
        # the options -> Config builder of the CLI, from the panel's settings
        self.config = bake_config(fps=bake.scene_fps(context.scene), kind="json",
                                  visemes=bake.needs_visemes(self.table), keypoints=False,
                                  engine=settings.engine.lower(),  # auto | neural | phonetic
                                  strength=settings.intensity, language="auto",
                                  emotion=_emotion_mode(settings),
                                  idle="on" if settings.idle else "off",
                                  listen=settings.listen_mode)
        self.config.align.workers = 1  # forking Blender is unsafe
        self.start_frame = settings.start_frame
        self.replace = settings.replace
        self.add_sound = settings.add_sound
        self.progress = 0.0
        self.stage = "starting"
        self.cancel = False
        self.clip = None
        self.error: str | None = None

    def run(self) -> None:
        from voxrig.core.bake import bake as bake_clip

        def report(fraction: float, stage: str) -> None:
            if self.cancel:
                raise Cancelled
            self.progress, self.stage = fraction, stage

        try:
            self.clip = bake_clip(self.audio, self.transcript, self.config, report)
        except Cancelled:
            self.error = "cancelled"
        except VoxrigError as exc:
            self.error = str(exc)
        except Exception as exc:  # a bug: still a report, with the type for the bug report
            self.error = f"voxrig failed: {type(exc).__name__}: {exc}"

    def apply(self, context) -> tuple[str, str]:
        """Write the clip into the scene (main thread); the report's level and text."""
        name = f"voxrig {Path(self.audio).stem}"
        key = self.obj.data.shape_keys
        columns = bake.clip_columns(self.clip, self.table)
        action = bake.write_action(key, columns, self.start_frame, name, self.replace)
        frames = self.clip.frame_count
        scene = context.scene
        scene.frame_end = max(scene.frame_end, self.start_frame + frames - 1)
        notes = [f"warning: {w}" for w in (self.clip.meta.get("warnings") or [])[:1]]
        if self.add_sound and not self.from_strip:
            try:
                bake.place_sound(scene, self.audio, self.start_frame, name)
            except RuntimeError as exc:  # e.g. a Blender built without audio (Audaspace)
                notes.append(f"no sound strip: {str(exc).removeprefix('Error: ').strip()}")
        text = (f"baked {frames} frames onto {len(columns)} shape keys of {self.obj.name!r} "
                f"(action {action.name!r})")
        return ("WARNING" if notes else "INFO"), "; ".join([text, *notes])


_running: BakeJob | None = None


def baking() -> bool:
    """Whether a bake runs now (the panel shows its progress and a cancel button)."""
    return _running is not None


class VOXRIG_OT_bake(bpy.types.Operator):
    """Bake speech from the audio onto the target's shape keys"""

    bl_idname = "voxrig.bake"
    bl_label = "Bake speech"
    bl_options = {"REGISTER", "UNDO"}

    _timer = None
    _job: BakeJob | None = None
    _thread: threading.Thread | None = None

    def _start(self, context) -> BakeJob | None:
        try:
            return BakeJob(context)
        except (UserError, VoxrigError) as exc:
            self.report({"ERROR"}, str(exc))
            return None

    def _finish(self, context, job: BakeJob) -> set[str]:
        if job.error is not None:
            self.report({"WARNING"} if job.error == "cancelled" else {"ERROR"},
                        "bake cancelled" if job.error == "cancelled" else job.error)
            return {"CANCELLED"}
        try:
            level, text = job.apply(context)
        except (UserError, VoxrigError) as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        except Exception as exc:  # a bug: still a report, with the type for the bug report
            self.report({"ERROR"}, f"voxrig could not write the animation: "
                                   f"{type(exc).__name__}: {exc}")
            return {"CANCELLED"}
        self.report({level}, text)
        return {"FINISHED"}

    def execute(self, context):
        """Synchronous: scripts, headless runs and redo."""
        job = self._start(context)
        if job is None:
            return {"CANCELLED"}
        job.run()
        return self._finish(context, job)

    def invoke(self, context, event):
        """From the UI: the bake runs in a thread; a timer shows progress, Esc cancels."""
        global _running
        if _running is not None:
            self.report({"ERROR"}, "a bake is already running")
            return {"CANCELLED"}
        job = self._start(context)
        if job is None:
            return {"CANCELLED"}
        self._job = _running = job
        self._thread = threading.Thread(target=job.run, name="voxrig bake", daemon=True)
        self._thread.start()
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.1, window=context.window)
        wm.progress_begin(0, 100)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        job = self._job
        if event.type == "ESC":
            job.cancel = True
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        settings = context.scene.voxrig
        settings.progress, settings.status = job.progress, job.stage
        context.window_manager.progress_update(int(100 * job.progress))
        for area in context.screen.areas if context.screen else ():
            area.tag_redraw()
        if self._thread.is_alive():
            return {"RUNNING_MODAL"}
        return self._end(context)

    def _end(self, context):
        global _running
        wm = context.window_manager
        wm.event_timer_remove(self._timer)
        wm.progress_end()
        _running = None
        context.scene.voxrig.status = ""
        return self._finish(context, self._job)


class VOXRIG_OT_cancel_bake(bpy.types.Operator):
    """Stop the running bake (the scene is left as it was)"""

    bl_idname = "voxrig.cancel_bake"
    bl_label = "Cancel bake"

    def execute(self, context):
        if _running is not None:
            _running.cancel = True
        return {"FINISHED"}


class VOXRIG_OT_add_demo_head(bpy.types.Operator):
    """Add the ICT demo head with its 53 shape keys, mapped and ready to bake"""

    bl_idname = "voxrig.add_demo_head"
    bl_label = "Add demo head"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        obj = add_demo_head(context)
        mapping.fill_table(obj)
        context.scene.voxrig.target = obj
        return {"FINISHED"}


class VOXRIG_OT_auto_map(bpy.types.Operator):
    """Fill the mapping table from the shape key names (replaces the current table)"""

    bl_idname = "voxrig.auto_map"
    bl_label = "Auto-map shape keys"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        try:
            obj = target_mesh(context)
        except UserError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        matched = mapping.fill_table(obj)
        total = len(mapping.shape_key_names(obj))
        self.report({"INFO"} if matched else {"WARNING"},
                    f"{matched} of {total} shape keys of {obj.name!r} matched a voxrig channel")
        return {"FINISHED"}


class VOXRIG_OT_export_mapping(bpy.types.Operator, ExportHelper):
    """Save the mapping table as a voxrig.mapping file, for `voxrig stream --names`"""

    bl_idname = "voxrig.export_mapping"
    bl_label = "Export mapping"
    filename_ext = ".json"

    def execute(self, context):
        try:
            obj = target_mesh(context)
            mapping.export_table(obj, self.filepath)
        except (UserError, VoxrigError) as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        except OSError as exc:
            self.report({"ERROR"}, f"cannot write {self.filepath!r}: {exc.strerror}")
            return {"CANCELLED"}
        self.report({"INFO"}, f"mapping saved to {os.path.basename(self.filepath)}")
        return {"FINISHED"}


CLASSES = (VOXRIG_OT_bake, VOXRIG_OT_cancel_bake, VOXRIG_OT_add_demo_head, VOXRIG_OT_auto_map,
           VOXRIG_OT_export_mapping)
