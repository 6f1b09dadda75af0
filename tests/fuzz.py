"""Shared pieces of the fuzz tests (tests/test_fuzz_*.py): how long they run, the inputs they
make from a valid document, and the one check they all make.

`VOXRIG_FUZZ` picks the run: unset (CI) a few hundred derandomised examples per reader, the
same every run; `long` explores with fresh randomness for `VOXRIG_FUZZ_EXAMPLES` inputs
(default 100000) - the local run whose counts are in docs/bench.md; with `VOXRIG_FUZZ_COUNT`
naming a file, the number of inputs tried so far is kept there (a run cut by `timeout` still
says how far it got)."""

from __future__ import annotations

import copy
import json
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from voxrig.core.errors import VoxrigError

LONG = os.environ.get("VOXRIG_FUZZ") == "long"


def fuzz_settings(ci_examples: int) -> settings:
    """Hypothesis settings for one reader: `ci_examples` in CI, many more in a long run."""
    return settings(
        max_examples=int(os.environ.get("VOXRIG_FUZZ_EXAMPLES", "100000")) if LONG
        else ci_examples,
        deadline=None,
        derandomize=not LONG,
        database=None,  # CI and the local run start from nothing: no state between runs
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


FUZZ = fuzz_settings(300)  # a second or two a reader
COUNT_FILE = os.environ.get("VOXRIG_FUZZ_COUNT")
MAX_MESSAGE = 400  # characters: one line a terminal shows whole, or nearly

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.just(10 ** 400) | st.floats()
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12,
)


def paths(doc: Any, depth: int = 3) -> list[tuple]:
    """Every place in a JSON document a fuzzer may overwrite: keys and first list items, a few
    levels down."""
    out: list[tuple] = []
    if depth == 0:
        return out
    if isinstance(doc, dict):
        items = list(doc.items())
    elif isinstance(doc, list) and doc:
        items = [(0, doc[0])]
    else:
        return out
    for key, value in items:
        out.append((key,))
        out.extend((key, *rest) for rest in paths(value, depth - 1))
    return out


@st.composite
def mutated(draw: st.DrawFn, valid: dict) -> Any:
    """`valid` with one to three places replaced by any JSON value, or removed."""
    doc = copy.deepcopy(valid)
    for _ in range(draw(st.integers(1, 3))):
        places = paths(doc)
        if not places:
            break
        *parents, last = draw(st.sampled_from(places))
        holder = doc
        for key in parents:
            holder = holder[key]
        if isinstance(holder, dict) and draw(st.booleans()):
            del holder[last]
        else:
            holder[last] = draw(json_values)
    return doc


def documents(valid: dict) -> st.SearchStrategy[bytes]:
    """File contents around a valid document: changed fields, cut short, deeply nested, not
    UTF-8, or any bytes at all."""
    text = json.dumps(valid)
    return st.one_of(
        mutated(valid).map(lambda d: json.dumps(d).encode("utf-8")),
        st.integers(0, len(text)).map(lambda n: text[:n].encode("utf-8")),
        st.integers(1, 5000).map(lambda n: ("[" * n + "]" * n).encode()),
        st.integers(1, 5000).map(lambda n: text.replace(
            '"format"', '"x": ' + "{\"a\": " * n + "0" + "}" * n + ', "format"', 1).encode()),
        st.integers(1, 6000).map(lambda n: text.replace(": 1", ": " + "1" * n, 1).encode()),
        st.binary(max_size=64).map(lambda b: text.encode("utf-8")[:20] + b),
        st.binary(max_size=200),
    )


def check_reader(read: Callable[[Path], Any], path: Path, content: bytes) -> None:
    """`read(path)` returns, or raises a VoxrigError whose message is one line naming the
    file; anything else (another exception, a numpy warning) fails the test."""
    _count()
    path.write_bytes(content)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            read(path)
        except VoxrigError as exc:
            message = str(exc)
            assert "\n" not in message and "\r" not in message, message
            assert str(path) in message, message
            assert len(message) <= MAX_MESSAGE, message


_tried = 0


def _count() -> None:
    global _tried
    _tried += 1
    if COUNT_FILE and _tried % 200 == 0:
        Path(COUNT_FILE).write_text(f"{_tried}\n")
