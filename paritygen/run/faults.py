"""Crash points for the crash-safety tests: ``PARITYGEN_FAULT=<point>`` kills the process there.

The tests of docs/safety.md kill a real run with SIGKILL at known places (after table K, after
chunk K, before the finish, while waiting at a rendezvous) and then rerun it. A point is
checked with :func:`fault_point`; without the variable it costs one dictionary lookup.

Points: ``after-create``, ``after-table:<name>``, ``after-chunk:<n>`` (n-th chunk of the run,
from 1), ``before-finish``, and ``wait-after-table:<name>:<dir>`` (write ``<dir>/ready``, then
wait for ``<dir>/go``; lets a test hold a run in flight without sleeping on a clock).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

FAULT_ENV = "PARITYGEN_FAULT"


def fault_point(point: str) -> None:
    """Kill this process with SIGKILL (no clean-up at all) when *point* is the one asked for."""
    wanted = os.environ.get(FAULT_ENV)
    if not wanted:
        return
    if wanted == point:
        os.kill(os.getpid(), signal.SIGKILL)
    if wanted.startswith("wait-") and wanted[5:].rsplit(":", 1)[0] == point:
        folder = Path(wanted.rsplit(":", 1)[1])
        (folder / "ready").touch()
        while not (folder / "go").exists():
            time.sleep(0.05)  # a rendezvous with the test, not a timing assumption
