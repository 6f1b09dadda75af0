"""The installed voxrig's version, for `--version` and the files that name their generator."""

from __future__ import annotations


def voxrig_version() -> str:
    # importlib.metadata costs a tenth of a second to import: only when a version is asked for
    from importlib import metadata

    try:
        return metadata.version("voxrig")
    except metadata.PackageNotFoundError:
        return "unknown"
