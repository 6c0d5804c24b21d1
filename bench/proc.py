"""Process facts from /proc (Linux): the gunicorn worker's pid, its RSS and CPU time.

Throughput on a shared machine moves with whatever else runs; CPU seconds the worker
spent per request move much less, so the benchmarks report both.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def worker_pid(master_pid: int, timeout: float = 10) -> int:
    """The one gunicorn worker under `master_pid` (the master forks it at start)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn {master_pid} has no worker after {timeout}s")


def rss_kib(pid: int | str = "self") -> int:
    """Resident set size of `pid` (default: this process) in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time `pid` has used so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS
