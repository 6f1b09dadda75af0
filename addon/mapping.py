"""The mapping table of an object: filled from voxrig's name matcher, read by bake and live."""

import json

from voxrig.bridge.atomic import write_atomic
from voxrig.core.shape_keys import is_source, match_shape_keys, table_to_mapping


def shape_key_names(obj) -> list[str]:
    """The object's shape keys, without the reference (Basis) key."""
    key = obj.data.shape_keys if obj.type == "MESH" else None
    if key is None:
        return []
    return [block.name for block in key.key_blocks if block != key.reference_key]


def fill_table(obj) -> int:
    """Replace the object's table with the automatic guess; returns how many keys matched."""
    table = match_shape_keys(shape_key_names(obj))
    obj.voxrig_map.clear()
    for name in shape_key_names(obj):
        row = obj.voxrig_map.add()
        row.shape_key = name
        row.source = table.get(name, "")
    return len(table)


def read_table(obj) -> tuple[dict[str, str], list[str]]:
    """Shape key -> source for the rows that apply, and the problems with the others."""
    if len(obj.voxrig_map) == 0:
        fill_table(obj)
    names = set(shape_key_names(obj))
    table: dict[str, str] = {}
    problems: list[str] = []
    for row in obj.voxrig_map:
        source = row.source.strip()
        if not source:
            continue
        if row.shape_key not in names:
            problems.append(f"shape key {row.shape_key!r} no longer exists")
        elif not is_source(source):
            problems.append(f"{source!r} (for {row.shape_key!r}) is not an ARKit-52 channel "
                            "or viseme:<OVR name>")
        else:
            table[row.shape_key] = source
    return table, problems


def export_table(obj, path: str) -> None:
    """Write the table as a `voxrig.mapping` file (what `voxrig stream --names` reads)."""
    table, _ = read_table(obj)
    text = json.dumps(table_to_mapping(table), indent=2) + "\n"
    write_atomic(path, text.encode("utf-8"))  # a file the user had there survives a failure
