"""The background job of a serving process: keep the lease, and while holding it, purge.

One daemon thread per serving process. Every heartbeat it takes or renews the instance
lease; only while it holds the lease does it run the purge tasks (every PURGE_SECONDS).
The tasks are registered by `create_app`'s `register_jobs` step with
`add_task(app, name, task)`; a task gets the current UTC time, runs inside an app context (use
`db.session` and commit), and returns how many rows it removed (or None).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Callable

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from app.runtime import lease
from app.models import utcnow

log = logging.getLogger("gatehouse.jobs")
Task = Callable[[datetime], "int | None"]
PURGE_SECONDS = 60.0
_TASKS = "gatehouse.tasks"


def add_task(app: Flask, name: str, task: Task) -> None:
    """Have the lease holder run `task(now)` on every purge round."""
    app.extensions.setdefault(_TASKS, []).append((name, task))


def tasks(app: Flask) -> list[tuple[str, Task]]:
    return list(app.extensions.get(_TASKS, []))


def run_tasks(app: Flask, now: datetime | None = None) -> dict[str, int | None]:
    """Run every purge task once; one failing task is logged and does not stop the others."""
    now = now or utcnow()
    done: dict[str, int | None] = {}
    for name, task in tasks(app):
        with app.app_context():
            try:
                done[name] = task(now)
            except Exception:
                log.exception("background task %r failed", name, extra={"event": "task_failed", "task": name})
                continue
        if done[name]:
            log.info("%s: removed %s rows", name, done[name],
                     extra={"event": "purged", "task": name, "rows": done[name]})
    return done


class Housekeeper(threading.Thread):
    """Renews the lease every `heartbeat` seconds and purges while holding it; `stop()` ends it.

    Losing the lease to another holder (this process stalled past the TTL and another
    instance started) calls `on_lost`, which for a lone instance stops the process.
    """

    def __init__(self, app: Flask, engine, holder: str, *, holding: bool, on_lost: Callable[[], None] | None = None,
                 heartbeat: float = lease.HEARTBEAT_SECONDS, purge_every: float = PURGE_SECONDS,
                 ttl: timedelta = lease.TTL) -> None:
        super().__init__(name="gatehouse-housekeeper", daemon=True)
        self.app, self.engine, self.holder = app, engine, holder
        self.holding, self.on_lost = holding, on_lost
        self.heartbeat, self.purge_every, self.ttl = heartbeat, purge_every, ttl
        self._stopping = threading.Event()
        self._next_purge = 0.0

    def run(self) -> None:
        while not self._stopping.is_set():
            self.tick()
            self._stopping.wait(self.heartbeat)

    def tick(self) -> None:
        try:
            holding = lease.acquire(self.engine, self.holder, self.ttl)
        except SQLAlchemyError as exc:  # database away: keep serving, try again next beat
            log.error("cannot renew the instance lease: %s", type(exc).__name__, extra={"event": "lease_error"})
            return
        if holding != self.holding:
            self.holding = holding
            event, level = ("lease_acquired", logging.INFO) if holding else ("lease_lost", logging.ERROR)
            log.log(level, "instance lease %s by %s", "acquired" if holding else "lost", self.holder,
                    extra={"event": event, "holder": self.holder})
            if not holding and self.on_lost is not None:
                self.on_lost()
        if holding and time.monotonic() >= self._next_purge and not self._stopping.is_set():
            self._next_purge = time.monotonic() + self.purge_every
            run_tasks(self.app)

    def stop(self, timeout: float = 3.0) -> None:
        """Ask the thread to finish its current round and wait for it (a purge is one short transaction)."""
        self._stopping.set()
        if self.is_alive():
            self.join(timeout)
