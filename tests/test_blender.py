"""The Blender extension on real Blender: runs tests/blender/ with the Blender venv's Python.

bpy needs numpy<2 and its own Python 3.11 venv (.venv-blender, made by .ci/run; see
docs/blender.md). In CI a missing Blender venv is a failure; elsewhere the test is skipped."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BLENDER_PYTHON = ROOT / ".venv-blender" / ("Scripts/python.exe" if sys.platform == "win32"
                                           else "bin/python")


def _blender_python() -> Path:
    usable = BLENDER_PYTHON.exists() and subprocess.run(
        [str(BLENDER_PYTHON), "-c", "import bpy, pytest"], capture_output=True).returncode == 0
    if not usable:
        reason = (f"no Blender venv at {BLENDER_PYTHON.parent.parent} with bpy and pytest "
                  "(python3 -m venv .venv-blender && .venv-blender/bin/pip install "
                  "'bpy==5.0.1' 'numpy<2' pytest)")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return BLENDER_PYTHON


@pytest.mark.slow
def test_the_blender_extension_passes_its_checks_on_real_blender(tmp_path):
    python = _blender_python()
    env = dict(os.environ, BLENDER_USER_RESOURCES=str(tmp_path / "blender"))
    done = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         str(ROOT / "tests" / "blender" / "bl_extension.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
