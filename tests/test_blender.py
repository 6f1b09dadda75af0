"""The Blender extension on real Blender: runs tests/blender/ with the Blender venvs' Python.

bpy needs numpy<2 and its own Python 3.11 venv: .venv-blender (bpy 5.0.1) and .venv-blender42
(bpy 4.2 LTS), made by .ci/run (see docs/blender.md). In CI a missing Blender venv is a
failure; elsewhere its test is skipped with the reason."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENVS = {"5.0": (".venv-blender", "bpy==5.0.1"), "4.2": (".venv-blender42", "bpy==4.2.*")}


def _blender_python(version: str) -> Path:
    venv, requirement = VENVS[version]
    python = ROOT / venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    wanted = tuple(int(part) for part in version.split("."))
    check = f"import bpy, pytest, sys; sys.exit(tuple(bpy.app.version[:2]) != {wanted})"
    usable = python.exists() and subprocess.run(
        [str(python), "-c", check], capture_output=True).returncode == 0
    if not usable:
        reason = (f"no Blender {version} venv at {ROOT / venv} with bpy and pytest "
                  f"(python3 -m venv {venv} && {venv}/bin/pip install '{requirement}' "
                  "'numpy<2' pytest)")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return python


@pytest.mark.slow
@pytest.mark.parametrize("version", list(VENVS))
def test_the_blender_extension_passes_its_checks_on_real_blender(version, tmp_path):
    python = _blender_python(version)
    env = dict(os.environ, BLENDER_USER_RESOURCES=str(tmp_path / "blender"))
    done = subprocess.run(
        [str(python), str(ROOT / "tests" / "blender" / "run_checks.py"), "-q",
         "-p", "no:cacheprovider", str(ROOT / "tests" / "blender" / "bl_extension.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
