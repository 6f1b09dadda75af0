"""What an exporter may be told besides the clip."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_UNITY_PATH = "Face"


@dataclass(frozen=True)
class ExportOptions:
    name: str = "voxrig"  # the clip's name inside the file (Unity m_Name, glTF animation)
    unity_path: str = DEFAULT_UNITY_PATH  # SkinnedMeshRenderer path below the Animator
    sound_file: str = ""  # the audio the clip was baked from (Rhubarb metadata)
