"""Baked-file exporters: one module per format, one registry the CLI picks from.

A format is chosen by the output file's extension (the longest registered one that matches,
so `line.unreal.csv` is an Unreal curve table while `line.csv` stays a voxrig CSV) unless
`--format NAME` names it. Every writer takes a Clip and ExportOptions and returns the file's
bytes; `export` writes them atomically.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from voxrig.core.clip import Clip
from voxrig.core.errors import VoxrigError

from ..atomic import write_atomic
from ..clipio import FORMATS as CLIP_FORMATS
from ..clipio import clip_to_csv, clip_to_json, format_for, save_clip
from . import gltf, moho, rhubarb, unity_anim, unreal_csv, visemes_csv
from .options import ExportOptions

__all__ = ["EXPORTERS", "ExportOptions", "Exporter", "export", "export_format_for",
           "written_by_voxrig"]


@dataclass(frozen=True)
class Exporter:
    name: str
    extensions: tuple[str, ...]  # without the leading dot; may be compound ("unreal.csv")
    write: Callable[[Clip, ExportOptions], bytes]
    looks_like: Callable[[bytes], bool]  # does a file's start show this writer wrote it?
    description: str


def _clip_json(clip: Clip, options: ExportOptions) -> bytes:
    return clip_to_json(clip)


def _clip_csv(clip: Clip, options: ExportOptions) -> bytes:
    return clip_to_csv(clip)


EXPORTERS: dict[str, Exporter] = {
    e.name: e
    for e in (
        Exporter("json", ("json",), _clip_json, lambda head: False, "voxrig clip (JSON)"),
        Exporter("csv", ("csv",), _clip_csv, lambda head: False, "voxrig clip (CSV)"),
        Exporter("unity", ("anim",), unity_anim.write, unity_anim.looks_like,
                 "Unity AnimationClip (blend shape curves)"),
        Exporter("unreal", ("unreal.csv",), unreal_csv.write, unreal_csv.looks_like,
                 "Unreal curve table CSV"),
        Exporter("gltf", ("glb",), gltf.write, gltf.looks_like,
                 "glTF 2.0 binary: the ICT head with morph targets and the animation"),
        Exporter("rhubarb", ("rhubarb.json",), rhubarb.write_json, rhubarb.looks_like_json,
                 "Rhubarb Lip Sync JSON mouth cues (A-H, X)"),
        Exporter("rhubarb-tsv", ("tsv",), rhubarb.write_tsv, rhubarb.looks_like_tsv,
                 "Rhubarb Lip Sync TSV mouth cues (A-H, X)"),
        Exporter("visemes", ("visemes.csv",), visemes_csv.write, visemes_csv.looks_like,
                 "OVR-15 viseme weights per frame (CSV)"),
        Exporter("moho", ("dat",), moho.write, moho.looks_like,
                 "Moho / Papagayo switch data (Preston Blair mouth names)"),
    )
}
assert tuple(CLIP_FORMATS) == ("json", "csv")  # clipio's own formats head the registry


def export_format_for(path: str | Path, override: str | None = None) -> str:
    """The registered format a file name asks for (or `override`, if given)."""
    if override is not None:
        if override not in EXPORTERS:
            raise VoxrigError(f"unknown format {override!r} (choose from "
                              f"{', '.join(EXPORTERS)})")
        return override
    name = Path(path).name.lower()
    for ext in sorted((x for e in EXPORTERS.values() for x in e.extensions), key=len,
                      reverse=True):
        if name.endswith("." + ext):
            return next(e.name for e in EXPORTERS.values() if ext in e.extensions)
    try:
        return format_for(path)
    except VoxrigError:
        others = ", ".join("." + x for e in list(EXPORTERS.values())[2:] for x in e.extensions)
        suffix = Path(path).suffix.lower()
        raise VoxrigError(
            f"cannot write {str(path)!r}: unknown output format {suffix!r} "
            f"(use .json or .csv, or export to {others}; or name one with --format)"
        ) from None


def written_by_voxrig(path: str | Path, fmt: str) -> bool:
    """True if `path` already holds a file of format `fmt` as voxrig writes it, so baking
    over it again loses nothing the user made."""
    try:
        with Path(path).open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return EXPORTERS[fmt].looks_like(head)


def export(clip: Clip, path: str | Path, fmt: str | None = None,
           options: ExportOptions | None = None) -> str:
    """Write `clip` to `path` in `fmt` (default: by extension), atomically. Returns the
    format used."""
    fmt = export_format_for(path, fmt)
    if options is None:
        options = ExportOptions(name=Path(path).name.split(".")[0] or "voxrig")
    if fmt in CLIP_FORMATS:  # streamed: a long clip's JSON is never one string in memory
        save_clip(clip, path, fmt)
    else:
        write_atomic(path, EXPORTERS[fmt].write(clip, options))
    return fmt
