"""The bake options (`voxrig bake`'s, a batch line's) as the one Config the bake takes."""

from __future__ import annotations

from voxrig.core.config import Config
from voxrig.core.emotion.tags import load_timeline


def bake_config(*, fps: float, kind: str, visemes: bool, keypoints: bool, engine: str,
                strength: float, language: str, emotion: str, idle: str, listen: bool
                ) -> Config:  # fmt: skip
    """`kind` is the output format: a visemes file needs visemes. A bad emotion timeline file
    fails here, before the bake."""
    config = Config(fps=fps, visemes=visemes or kind == "visemes", keypoints=keypoints,
                    engine=engine)
    config.animator.strength = strength
    config.align.text_language = language
    config.emotion.mode = emotion
    if emotion not in ("auto", "none"):
        load_timeline(emotion)
    config.idle.enabled = idle == "on"
    config.idle.listen = listen
    return config
