"""voxrig for Blender: bake speech audio onto a character's shape keys, or preview live.

The engine is the voxrig package (bundled as a wheel); this add-on is only its Blender face."""

import bpy

from . import live, operators, panel, properties

CLASSES = (*operators.CLASSES, *live.CLASSES, *panel.CLASSES)


def register() -> None:
    properties.register()
    for cls in CLASSES:
        bpy.utils.register_class(cls)


def unregister() -> None:
    live.stop()
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
    properties.unregister()
