"""For tests that stop a voxrig command with SIGINT, as Ctrl-C does: the child must not
inherit an ignored SIGINT. A shell without job control (a script running the suite in the
background, `cmd &`) starts its children with SIGINT ignored, and Python then never raises
KeyboardInterrupt, so the command would run on and the test would wait for it forever."""

from __future__ import annotations

import signal


def interruptible() -> None:
    """subprocess.Popen's preexec_fn: SIGINT back to its default in the child."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
