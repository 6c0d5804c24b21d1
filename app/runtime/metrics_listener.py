"""The private metrics listener in gunicorn's master, fed by every worker (GATEHOUSE_METRICS_BIND).

gunicorn.conf.py calls these from its hooks:

- `prepare` (on_starting, before any worker forks): a fresh PROMETHEUS_MULTIPROC_DIR, so each
  worker's prometheus_client keeps its values in files there. prometheus_client reads the
  variable when it is first imported, so nothing here imports it before the variable is set.
- `start` (when_ready): the HTTP listener (prometheus_client's own), adding up every
  worker's files at each scrape: counters survive a worker's restart, gauges of dead
  workers drop out.
- `worker_gone` (child_exit, in the master: it also runs for a worker killed by SIGKILL),
  `close_in_worker` (post_fork) and `cleanup` (on_exit).

With one worker this is the same path, so one and several workers answer alike. The state
lives in this module, not in gunicorn.conf.py, whose globals a reload (SIGHUP) runs afresh.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from app.config import host_port
from app.version import version

ENV = "PROMETHEUS_MULTIPROC_DIR"


@dataclass
class Listener:
    bind: str
    directory: Path
    created: bool  # our own temporary folder: removed on exit
    server: Any = None


_listener: Listener | None = None


def prepare(environ: Mapping[str, str]) -> Listener | None:
    """None when GATEHOUSE_METRICS_BIND is unset (metrics off); else set up the folder and the variable."""
    bind = (environ.get("GATEHOUSE_METRICS_BIND") or "").strip()
    if not bind:
        return None
    try:
        host_port(bind)
    except ValueError as exc:
        raise RuntimeError(f"GATEHOUSE_METRICS_BIND={bind!r} is invalid: {exc}") from None
    given = environ.get(ENV)
    if given:  # the admin's folder: keep it, but start from zero (stale files would add up)
        directory, created = Path(given), False
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
    else:
        directory, created = Path(tempfile.mkdtemp(prefix="gatehouse-metrics-")), True
    os.environ[ENV] = str(directory)
    global _listener
    _listener = Listener(bind, directory, created)
    return _listener


def start(public: list[Any] = ()) -> str | None:
    """Listen on the metrics address (None: metrics are off); RuntimeError (gunicorn prints it, exits 1)
    if it cannot, or if it would share a port with `public`, gunicorn's own addresses."""
    listener = _listener
    if listener is None:
        return None
    # In gunicorn's master, only after `prepare` set PROMETHEUS_MULTIPROC_DIR (read once, on import).
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    host, port = host_port(listener.bind)
    if any(isinstance(address, tuple) and address[1] == port for address in public):
        cleanup()
        raise RuntimeError(
            f"GATEHOUSE_METRICS_BIND={listener.bind!r} shares the public bind's port: metrics are private"
        )
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(listener.directory))
    registry.register(BuildInfo())
    try:
        listener.server, _thread = start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        cleanup()  # gunicorn exits without its on_exit hook
        raise RuntimeError(f"GATEHOUSE_METRICS_BIND={listener.bind!r}: cannot listen there ({exc.strerror})") from None
    return listener.bind


def close_in_worker() -> None:
    """A forked worker inherits the master's listening socket; it never serves it, so close its copy."""
    if _listener is not None and _listener.server is not None:
        _listener.server.socket.close()


def worker_gone(pid: int) -> None:
    """Drop a dead worker's live gauges (its counters stay: totals never go back)."""
    if _listener is not None:
        from prometheus_client import multiprocess  # after `prepare`, as in `start`

        multiprocess.mark_process_dead(pid, str(_listener.directory))


def cleanup() -> None:
    global _listener
    listener, _listener = _listener, None
    if listener is None:
        return
    if listener.server is not None:
        listener.server.shutdown()
    if listener.created:
        shutil.rmtree(listener.directory, ignore_errors=True)


class BuildInfo:
    """`gatehouse_build_info{version}`: the version, told only on this private listener."""

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily  # after `prepare`, as in `start`

        family = GaugeMetricFamily("gatehouse_build_info", "The running Gatehouse version.", labels=["version"])
        family.add_metric([version()], 1)
        yield family
