"""Run the Blender checks with pytest and exit with its status, skipping Python's interpreter
teardown: the PyPI bpy 4.2 crashes (SIGSEGV) on exit once the voxrig extension has been
installed in the process, after every check has run and passed (bpy 5.0 exits cleanly)."""

import os
import sys

import pytest

if __name__ == "__main__":
    status = int(pytest.main(sys.argv[1:]))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
