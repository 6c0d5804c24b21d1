"""Whether this process can serve (`/readyz`): the database answers a read, and takes a write.

A database that can be read but not written (a full disk, a read-only server after a failover)
lets pages render while every sign-in, sign-out and password change fails, so a read alone
would call it ready. The write is one small row (`settings`, key `readiness_probe`), written at
most once per WRITE_EVERY seconds per process and its answer kept meanwhile: `/readyz` needs no
authentication, and a stream of probes must not become a stream of writes.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.database import fault_name, recover
from app.extensions import db
from app.models import Setting, utcnow

log = logging.getLogger("gatehouse.database")

PROBE_KEY = "readiness_probe"
WRITE_EVERY = 5.0
_STATE = "gatehouse.readiness"


class _Probe:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.written_at = float("-inf")  # time.monotonic() of the last write that went through


def database_ready() -> bool:
    """True when the database answers a read and, at most WRITE_EVERY seconds ago, took a write."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        recover(db.session)
        return False
    return _writable()


def _writable() -> bool:
    probe: _Probe = current_app.extensions.setdefault(_STATE, _Probe())
    if time.monotonic() - probe.written_at < WRITE_EVERY:
        return True
    with probe.lock:  # one writer at a time; the others wait for its answer
        if time.monotonic() - probe.written_at < WRITE_EVERY:
            return True
        try:
            db.session.merge(Setting(key=PROBE_KEY, value=utcnow().isoformat()))
            db.session.commit()  # a failed commit is rolled back (app/database.py)
        except IntegrityError:  # another process wrote the first probe row just now: it took a write
            recover(db.session)
        except SQLAlchemyError as exc:
            recover(db.session)
            log.error("the database takes no writes: %s", fault_name(exc), extra={"event": "database_read_only"})
            return False
        probe.written_at = time.monotonic()
        return True
