"""Time a bake onto the demo head in headless Blender (run with the Blender venv's Python):
    .venv-blender/bin/python tools/measure_blender_bake.py speech.flac [transcript.txt]
Installs the built extension (build/addon/voxrig-*.zip, from tools/build_addon.py) into a
temporary user resource directory, adds the demo head and runs the bake operator."""

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ["BLENDER_USER_RESOURCES"] = tempfile.mkdtemp()

import bpy  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main(audio: str, transcript: str | None = None) -> None:
    package = sorted((ROOT / "build" / "addon").glob("voxrig-*.zip"))[-1]
    bpy.ops.extensions.package_install_files(filepath=str(package), repo="user_default",
                                             enable_on_install=True)
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.context.scene.render.fps = 30
    start = time.perf_counter()
    bpy.ops.voxrig.add_demo_head()
    head = time.perf_counter() - start
    settings = bpy.context.scene.voxrig
    settings.audio_path = audio
    settings.transcript_path = transcript or ""
    start = time.perf_counter()
    bpy.ops.voxrig.bake()
    seconds = time.perf_counter() - start
    action = bpy.context.active_object.data.shape_keys.animation_data.action
    print(f"demo head {head:.2f} s; bake {seconds:.2f} s "
          f"({'with' if transcript else 'without'} transcript), frames {action.frame_range[:]}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
