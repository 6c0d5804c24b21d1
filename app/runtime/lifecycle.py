"""A serving process's life: start (setup code, instance lease, background job) and an orderly stop.

`start_serving` runs once in the process that serves requests, never at import (so
`gunicorn --check-config` works beside a running instance and before migration), never for
CLI commands or test apps: from gunicorn's `post_worker_init` hook (gunicorn.conf.py), or,
when that file was bypassed, on the first request (`serve_on_first_request`, wsgi.py).
`stop_serving` runs from gunicorn's `worker_exit` hook after the in-flight requests have
finished, or at interpreter exit under any other server.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import threading
import time
from functools import partial

from flask import Flask, abort, current_app
from sqlalchemy.exc import SQLAlchemyError

from app.runtime import lease
from app.extensions import db
from app.runtime.jobs import Housekeeper
from app.services import setup as setup_service
from app.runtime.workers import state_is_shared

log = logging.getLogger("gatehouse.lifecycle")
_SERVING = "gatehouse.serving"
_STATE = "gatehouse.serving_state"


class StartupError(RuntimeError):
    """The server cannot start; the message says what to do.

    A RuntimeError raised from the import of wsgi.py: gunicorn halts ("Worker failed to
    boot", exit 3) instead of restarting the worker for ever.
    """


def start_serving(app: Flask) -> None:
    """Announce setup if needed, take the instance lease (or refuse), start the background job.

    :raise StartupError: the database is not migrated, or another instance holds the lease.
    """
    if _SERVING in app.extensions:
        return
    with app.app_context():
        engine = db.engine
        try:
            # gunicorn.conf.py's on_starting notes when the master started; other servers: now.
            started_at = float(os.environ.get("GATEHOUSE_STARTED_AT") or time.time())
            setup_service.announce(app.config["GATEHOUSE_INSTANCE_DIR"], started_at)
            shared = state_is_shared(app.config)
            holder = lease.holder_id(per_process=shared)
            holding = lease.acquire(engine, holder)
        except SQLAlchemyError as exc:
            raise StartupError(
                f"the database is not ready ({type(exc).__name__}): run `gatehouse db upgrade`"
            ) from None
        if not holding and not shared:
            message = _held_message(lease.current(engine))
            log.error(message, extra={"event": "instance_refused"})
            raise StartupError(message)
    keeper = Housekeeper(app, engine, holder, holding=holding, on_lost=None if shared else _stop_this_process)
    app.extensions[_SERVING] = keeper
    keeper.start()
    atexit.register(stop_serving, app)
    role = "holding the instance lease" if holding else "on standby: another process holds the instance lease"
    log.info("serving as %s, %s", holder, role, extra={"event": "serving", "holder": holder, "lease": holding})
    _warn_if_no_metrics_listener(app)


def _warn_if_no_metrics_listener(app: Flask) -> None:
    """GATEHOUSE_METRICS_BIND set, but not under the shipped gunicorn.conf.py, whose hooks run the
    listener (app/runtime/metrics_listener.py): say so rather than leave the address silently shut."""
    if app.config.get("GATEHOUSE_METRICS_BIND") and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        log.warning("GATEHOUSE_METRICS_BIND is set but no metrics listener runs: the shipped gunicorn.conf.py "
                    "starts it (gunicorn -c gunicorn.conf.py, or gatehouse serve)",
                    extra={"event": "metrics_not_started"})


class ServingState:
    """Whether this app serves on its first request (a server that bypassed gunicorn.conf.py),
    and why it was refused if it was. Checked by the serving request gate (app/edge/gates.py)."""

    def __init__(self) -> None:
        self.on_first_request = False
        self.refused: str | None = None
        self.lock = threading.Lock()


def init_app(app: Flask) -> None:
    app.extensions[_STATE] = ServingState()


def serve_on_first_request(app: Flask) -> None:
    """Fallback for a server that never ran gunicorn.conf.py's hooks: start serving on the first
    request. If start-up is refused, every request is 503 (a second instance must not serve)."""
    app.extensions[_STATE].on_first_request = True


def check(_environ: dict, _endpoint: str | None):
    """The serving request gate: None while this instance may serve; a 503 refusal once its start
    was refused. Under gunicorn.conf.py serving started before any request (or the worker never
    booted); otherwise the first request starts it."""
    app = current_app._get_current_object()  # one proxy hop on every request: docs/performance.md
    state: ServingState = app.extensions[_STATE]
    if state.on_first_request and state.refused is None and _SERVING not in app.extensions:
        with state.lock:
            if state.refused is None and _SERVING not in app.extensions:
                try:
                    start_serving(app)
                except StartupError as exc:
                    state.refused = str(exc)
    if state.refused is not None:
        return partial(abort, 503, "This Gatehouse instance cannot serve: " + state.refused)
    return None


def _held_message(held: lease.Lease | None) -> str:
    message = "another Gatehouse instance is already serving from this database"
    if held is not None:
        message += f" ({held.holder}, lease renewed {held.heartbeat_at:%H:%M:%S} UTC)"
    message += (
        f". Stop it first (if it died, its lease frees itself within {lease.TTL.seconds} s; then start again),"
        " or run several instances with shared state: GATEHOUSE_CACHE=redis and GATEHOUSE_REDIS_URL."
    )
    return message


def _stop_this_process() -> None:
    """Another instance owns the database now: stop gracefully rather than serve beside it.

    Under gunicorn this ends the worker; its replacement is refused at boot, so gunicorn halts.
    """
    log.error("another instance took over the instance lease; stopping this one", extra={"event": "instance_displaced"})
    os.kill(os.getpid(), signal.SIGTERM)


def stop_serving(app: Flask) -> None:
    """Stop the background job, release the lease, close the database. Safe to call twice."""
    keeper = app.extensions.pop(_SERVING, None)
    if keeper is None:
        return
    keeper.stop()
    with app.app_context():
        try:
            released = lease.release(db.engine, keeper.holder)
        except SQLAlchemyError as exc:
            released = False
            log.error("could not release the instance lease: %s", type(exc).__name__, extra={"event": "lease_error"})
        db.engine.dispose()
    log.info("stopped: background job ended, lease %s, database closed", "released" if released else "not held",
             extra={"event": "stopped", "holder": keeper.holder})
