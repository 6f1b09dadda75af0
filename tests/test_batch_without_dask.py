"""voxrig batch --dask on an install without the 'batch' extra: one line, exit 1."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

LJSPEECH = Path(__file__).parents[2] / "shared" / "data" / "english" / "ljspeech"

# Simulates an install without the extra: this venv has Dask, so a meta-path finder placed
# first refuses to import dask and distributed (as a missing package does, ModuleNotFoundError)
# before the real voxrig command line runs.
WITHOUT_DASK = """
import sys
from importlib.abc import MetaPathFinder

class NoDask(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("dask", "distributed"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoDask())
from voxrig.bridge.cli import main
sys.argv = ["voxrig", *sys.argv[1:]]
sys.exit(main())
"""


def test_dask_local_without_dask_installed_is_one_line_and_exit_1(tmp_path):
    lines = tmp_path / "lines"
    lines.mkdir()
    shutil.copy(LJSPEECH / "LJ001-0002.flac", lines / "LJ001-0002.flac")
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_DASK, "batch", str(lines), "-o", str(tmp_path / "out"),
         "--dask", "local"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "voxrig: error: --dask needs Dask distributed: pip install 'voxrig[batch]'"]
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "out" / "LJ001-0002.json").exists()
