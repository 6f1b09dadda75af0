"""What `pip install voxrig` ships: every package of the source tree is in the wheel (the
package list in pyproject.toml is explicit, so a new subpackage must be added to it — an
editable install finds it anyway, a wheel and the Blender extension do not)."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIRS = {"voxrig.core": ROOT / "core", "voxrig.bridge": ROOT / "bridge"}


def test_every_source_package_is_listed_for_the_wheel():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])  # fmt: skip
    found = set()
    for name, folder in DIRS.items():
        for init in folder.rglob("__init__.py"):
            parts = init.parent.relative_to(folder).parts
            found.add(".".join((name, *parts)))
    assert found - listed == set(), "add these to [tool.setuptools] packages"
    assert listed - found == set(), "listed packages that do not exist"
