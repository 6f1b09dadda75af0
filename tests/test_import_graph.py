"""The packages' borders, read from the source with `ast`: no module imports itself back through
others, core depends on neither bridge nor the add-on, bridge not on the add-on, and bench never on
training (training depends on bench's datasets, metrics and espeak driver: docs/ARCHITECTURE.md).
Imports inside functions count too: a lazy import hides a cycle from Python, not from a reader."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "bridge", "bench", "training")
TOP_LEVEL = (*PACKAGES, "addon")


def module_name(path: Path, root: Path) -> str:
    """`core/animator/loudness.py` -> `core.animator.loudness`; a package's `__init__.py` is the
    package itself."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if "__pycache__" not in path.parts:
                found[module_name(path, root)] = path
    return found


def _absolute(name: str) -> str:
    """The installed name `voxrig.core.x` is the source tree's `core.x`."""
    return name.removeprefix("voxrig.") if name.startswith("voxrig.") else name


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules that module `name` imports, anywhere in its body."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            candidates = [_absolute(alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = _absolute(node.module or "")
            # `from pkg import sub` imports the module pkg.sub when there is one
            candidates = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in known
                          else source for alias in node.names]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in known:  # `import core.x.y` -> nearest module
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                targets.add(candidate)
    return targets


def import_graph(root: Path, packages: tuple[str, ...] = TOP_LEVEL) -> dict[str, set[str]]:
    found = modules(root, packages)
    return {name: imported_modules(name, path, set(found)) for name, path in found.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that reach each other (Tarjan's strongly connected components), each
    sorted; a module alone is no cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The same imports between top-level packages: bench.x -> training.y is bench -> training."""
    out: dict[str, set[str]] = {}
    for module, targets in graph.items():
        top = module.split(".")[0]
        out.setdefault(top, set()).update(t.split(".")[0] for t in targets)
        out[top].discard(top)
    return out


def crossings(graph: dict[str, set[str]], source: str, forbidden: str) -> list[str]:
    """`a -> b` for every module of package `source` that imports one of package `forbidden`."""
    def inside(module: str, package: str) -> bool:
        return module == package or module.startswith(package + ".")

    return sorted(f"{a} -> {b}" for a, targets in graph.items() if inside(a, source)
                  for b in targets if inside(b, forbidden))


def _write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


# --- the checker itself, on small trees ---------------------------------------------------------


def test_a_lazy_import_back_into_a_packages_main_is_a_cycle(tmp_path: Path) -> None:
    _write(tmp_path, {
        "bench/__init__.py": "",
        "bench/__main__.py": "def main():\n    from .grid import run\n",
        "bench/grid.py": "def run():\n    from .__main__ import still\n",
    })
    assert cycles(import_graph(tmp_path, ("bench",))) == [["bench.__main__", "bench.grid"]]


def test_installed_and_relative_names_reach_the_same_module(tmp_path: Path) -> None:
    _write(tmp_path, {
        "core/__init__.py": "",
        "core/a.py": "from voxrig.core import b\n",
        "core/b.py": "from .a import thing\n",
        "core/c.py": "import voxrig.core.a\n",
    })
    graph = import_graph(tmp_path, ("core",))
    assert graph["core.a"] == {"core.b"}
    assert graph["core.c"] == {"core.a"}
    assert cycles(graph) == [["core.a", "core.b"]]


def test_a_one_way_dependency_is_no_cycle_but_is_a_crossing(tmp_path: Path) -> None:
    _write(tmp_path, {
        "bench/__init__.py": "", "bench/metrics.py": "",
        "training/__init__.py": "", "training/train.py": "from bench import metrics\n",
    })
    graph = import_graph(tmp_path, ("bench", "training"))
    assert cycles(graph) == []
    assert crossings(graph, "training", "bench") == ["training.train -> bench.metrics"]
    assert crossings(graph, "bench", "training") == []


def test_two_packages_importing_each_other_are_a_cycle_of_packages(tmp_path: Path) -> None:
    _write(tmp_path, {
        "bench/__init__.py": "", "bench/metrics.py": "",
        "bench/languages.py": "def voice():\n    from training.corpus import Espeak\n",
        "training/__init__.py": "", "training/corpus.py": "",
        "training/train.py": "from bench import metrics\n",
    })
    graph = import_graph(tmp_path, ("bench", "training"))
    assert cycles(graph) == []
    assert cycles(package_graph(graph)) == [["bench", "training"]]


# --- the project -------------------------------------------------------------------------------


def test_no_module_of_core_bridge_bench_or_training_imports_itself_back() -> None:
    assert cycles(import_graph(ROOT)) == []


def test_the_top_level_packages_depend_on_each_other_one_way() -> None:
    assert cycles(package_graph(import_graph(ROOT))) == []


def test_core_imports_neither_bridge_nor_the_addon() -> None:
    graph = import_graph(ROOT)
    assert crossings(graph, "core", "bridge") + crossings(graph, "core", "addon") == []


def test_bridge_does_not_import_the_addon() -> None:
    assert crossings(import_graph(ROOT), "bridge", "addon") == []


def test_bench_does_not_import_training() -> None:
    assert crossings(import_graph(ROOT), "bench", "training") == []
