"""Which voxrig channel drives which shape key of a character, guessed from the key names.

Characters name their shape keys in many ways. This recognises ARKit names in any case and
spelling of the side (`eyeBlinkLeft`, `EyeBlink_L`, `eye_blink.l`, `eyeBlink Left`, with a
namespace such as `blendShape1.`), the ICT / Apple `_L` / `_R` split of the two-sided shapes
(`browInnerUp_L`), Ready Player Me / Oculus visemes (`viseme_aa`, `viseme_PP`), VRChat visemes
(`vrc.v_aa`), VRM mouth shapes (`A I U E O`, `aa ih ou ee oh`, VRoid's `Fcl_MTH_A`), and close
misspellings (fuzzy, never across sides).

A source channel is an ARKit-52 name (`jawOpen`) or an OVR-15 viseme written `viseme:<name>`
(`viseme:aa`), read from the clip's weights or visemes. The mapping table goes from shape key
to source, so one channel can drive several keys (`browInnerUp` -> `browInnerUp_L` and `_R`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .channel_names import MappingError, mapping_to_dict, parse_mapping
from .names import ARKIT52, OVR15

VISEME_PREFIX = "viseme:"

_CANON = {name.lower(): name for name in ARKIT52}
_SIDE = re.compile(r"^(?P<base>.*?)(?:[._\- ]?(?P<word>left|right)|[._\- ](?P<letter>[lr]))$",
                   re.IGNORECASE)
_VISEME = re.compile(r"^(?:viseme|vrc\.v|v)[_.\- ]?(?P<name>[a-z]+)$", re.IGNORECASE)
# Ready Player Me spells three OVR visemes by their vowel letter (viseme_I / O / U).
_VISEME_ALIASES = {"i": "ih", "o": "oh", "u": "ou", "e": "E", "ee": "E"}
# VRM 0.x preset names / VRM 1.0 expression names / VRoid's Fcl_MTH_* keys -> OVR visemes.
_VRM = {"a": "aa", "i": "ih", "u": "ou", "e": "E", "o": "oh",
        "aa": "aa", "ih": "ih", "ou": "ou", "ee": "E", "oh": "oh"}
_VRM_PREFIX = re.compile(r"^(?:fcl_mth_|mth_|vrm[._]?)", re.IGNORECASE)
_OVR_LOWER = {name.lower(): name for name in OVR15}
FUZZY_CUTOFF = 0.85


def viseme_source(name: str) -> str:
    return VISEME_PREFIX + name


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _strip_namespace(name: str) -> str:
    """`blendShape1.jawOpen` -> `jawOpen`; `Face|mouthClose` -> `mouthClose`."""
    return re.split(r"[.:|/]", name)[-1] if re.search(r"[.:|/].{3,}$", name) else name


def _viseme(name: str) -> str | None:
    found = _VISEME.match(name)
    if found:
        key = found["name"].lower()
        if key in _OVR_LOWER:
            return viseme_source(_OVR_LOWER[key])
        if key in _VISEME_ALIASES:
            return viseme_source(_VISEME_ALIASES[key])
    vrm = _VRM.get(_VRM_PREFIX.sub("", name).lower())
    return viseme_source(vrm) if vrm else None


def _arkit_candidates(name: str) -> tuple[list[str], str | None]:
    """Squashed spellings to look up, best first, and the side the name says (or None)."""
    candidates = [_squash(name)]
    side = None
    found = _SIDE.match(name)
    if found and found["base"]:
        word = (found["word"] or found["letter"]).lower()
        side = "left" if word.startswith("l") else "right"
        base = _squash(_strip_namespace(found["base"]))
        candidates += [base + side, base]
    candidates.append(_squash(_strip_namespace(name)))
    return candidates, side


def match_shape_key(name: str) -> str | None:
    """The source channel for one shape key name, or None if nothing fits."""
    if not name.strip() or name.lower() == "basis":
        return None
    viseme = _viseme(name) or _viseme(_strip_namespace(name))
    if viseme:
        return viseme
    candidates, side = _arkit_candidates(name)
    for candidate in candidates:
        if candidate in _CANON:
            return _CANON[candidate]
    pool = [key for key in _CANON if side is None or key.endswith(side)
            or not key.endswith(("left", "right"))]
    close = difflib.get_close_matches(candidates[1] if side else candidates[-1], pool, n=1,
                                      cutoff=FUZZY_CUTOFF)
    return _CANON[close[0]] if close else None


def match_shape_keys(names: Iterable[str]) -> dict[str, str]:
    """Shape key name -> source channel for every key that matches (others are left out)."""
    table: dict[str, str] = {}
    for name in names:
        source = match_shape_key(name)
        if source is not None:
            table[name] = source
    return table


def is_source(source: str) -> bool:
    """Whether `source` names a channel a clip can provide."""
    if source.startswith(VISEME_PREFIX):
        return source[len(VISEME_PREFIX):] in OVR15
    return source in _CANON.values()


def table_to_mapping(table: Mapping[str, str]) -> dict[str, Any]:
    """The `voxrig.mapping` file object (as used by `voxrig stream --names`) for a table.

    A mapping file names one receiver name per ARKit channel, so a channel that drives several
    keys is written with its first key, and viseme sources are left out."""
    names: dict[str, str] = {}
    for key, source in table.items():
        if source in _CANON.values() and source not in names:
            names[source] = key
    if not names:
        raise MappingError("no ARKit channel is mapped, so there is nothing to export")
    data = {"format": "voxrig.mapping", "version": 1, "names": names, "others": "drop"}
    return mapping_to_dict(parse_mapping(data))
