"""Gauges read in the background: gatehouse_sessions_active and gatehouse_limiter_clients.

Their truth is in the database or Redis, not in one worker, so while metrics are on
(GATEHOUSE_METRICS_BIND) the process holding the instance lease reads them at every
heartbeat of its background job, and the newest sample of a live process is what the
listener reports (multiprocess mode `livemostrecent`). `create_app` registers the readers,
so this module needs no service and no extension.
"""

from __future__ import annotations

import logging
from typing import Callable

from flask import Flask

log = logging.getLogger("gatehouse.metrics")
_READERS = "gatehouse.gauges"
_FAILING = "gatehouse.gauges.failing"


def add_gauge(app: Flask, gauge, read: Callable[[], float]) -> None:
    """Have the background job set `gauge` to `read()` (run in an app context) while metrics are on."""
    app.extensions.setdefault(_READERS, []).append((gauge.describe()[0].name, gauge, read))


def sample(app: Flask) -> None:
    """Read every registered gauge once; a failing reader is logged once until it works again."""
    if not app.config.get("GATEHOUSE_METRICS_BIND"):
        return
    failing: set[str] = app.extensions.setdefault(_FAILING, set())
    for name, gauge, read in app.extensions.get(_READERS, ()):
        with app.app_context():
            try:
                gauge.set(read())
            except Exception as exc:  # the database or Redis away: the next heartbeat tries again
                if name not in failing:
                    failing.add(name)
                    log.warning("cannot sample %s: %s", name, type(exc).__name__,
                                extra={"event": "metrics_sample_failed", "metric": name})
                continue
        failing.discard(name)
