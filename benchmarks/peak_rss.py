"""Run a command and report the peak resident memory of the largest process it started.

Usage: ``python benchmarks/peak_rss.py COMMAND [ARGS...]``. The command's own output goes
through unchanged; the last line of stdout is JSON: ``{"returncode", "maxrss_mb", "subreaper"}``.

``maxrss_mb`` is ``getrusage(RUSAGE_CHILDREN).ru_maxrss``: the peak RSS of the largest single
process among the descendants this wrapper waited for (the kernel folds in the descendants
each child waited for). On Linux the wrapper first becomes a child subreaper, so processes
orphaned by the command (a multiprocessing forkserver that outlives ``casim batch`` by a
moment) are re-parented to it and reaped here, and their peaks are counted too.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
REAP_TIMEOUT_S = 30.0


def become_subreaper() -> bool:
    """Make orphaned descendants children of this process (Linux); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def reap_orphans(timeout: float = REAP_TIMEOUT_S) -> None:
    """Wait for re-parented descendants until none is left (or the timeout passes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.05)


def maxrss_mb() -> float:
    """Peak RSS of the largest waited-for descendant, in MB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    value = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return value / 2**20 if sys.platform == "darwin" else value / 2**10


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    subreaper = become_subreaper()
    returncode = subprocess.run(argv, check=False).returncode
    if subreaper:
        reap_orphans()
    sys.stdout.flush()
    print(json.dumps({"returncode": returncode, "maxrss_mb": round(maxrss_mb(), 1), "subreaper": subreaper}))
    return returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
