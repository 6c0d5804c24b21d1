"""The instance lease: a database row that one holder at a time owns, renewed by heartbeat.

Every operation is one short transaction of a conditional UPDATE (or an INSERT that the
primary key makes exclusive), so two instances racing for the lease on SQLite or
PostgreSQL can never both win. Times come from the holders' clocks: hosts sharing a
PostgreSQL database should run NTP (skew up to a few seconds only shortens the TTL).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from app.models import InstanceLease, utcnow

NAME = "gatehouse"
TTL = timedelta(seconds=15)  # a dead holder frees the lease after this long
HEARTBEAT_SECONDS = 5.0  # renewals per TTL: three, so one slow renewal loses nothing


@dataclass(frozen=True)
class Lease:
    holder: str
    heartbeat_at: datetime
    expires_at: datetime


def holder_id(per_process: bool) -> str:
    """Who this process is in the lease table.

    The instance is the gunicorn master (gunicorn.conf.py exports GATEHOUSE_INSTANCE_ID),
    so a worker that gunicorn restarts keeps the lease its predecessor held. When several
    processes share state, each one is its own candidate (`per_process`), so only one of
    them runs the background jobs.
    """
    instance = os.environ.get("GATEHOUSE_INSTANCE_ID") or f"{socket.gethostname()}:{os.getpid()}"
    return f"{instance}/{os.getpid()}" if per_process else instance


def acquire(engine: Engine, holder: str, ttl: timedelta = TTL, now: datetime | None = None) -> bool:
    """Take or renew the lease for `holder`; True if `holder` holds it afterwards.

    Succeeds when `holder` already holds it, when it has expired, or when there is none.
    """
    now = now or utcnow()
    values = {"holder": holder, "heartbeat_at": now, "expires_at": now + ttl}
    with engine.begin() as connection:
        taken = connection.execute(
            update(InstanceLease)
            .where(InstanceLease.name == NAME, or_(InstanceLease.holder == holder, InstanceLease.expires_at <= now))
            .values(**values)
        )
        if taken.rowcount == 1:
            return True
    try:
        with engine.begin() as connection:
            connection.execute(insert(InstanceLease).values(name=NAME, **values))
    except IntegrityError:  # someone else's live lease, or a racer inserted first
        return False
    return True


def release(engine: Engine, holder: str) -> bool:
    """Give the lease up so the next instance can start at once; False if `holder` had none."""
    with engine.begin() as connection:
        gone = connection.execute(
            delete(InstanceLease).where(InstanceLease.name == NAME, InstanceLease.holder == holder)
        )
    return gone.rowcount == 1


def clear(engine: Engine) -> bool:
    """Drop the lease whoever holds it: for `gatehouse restore`, whose copied database carries the
    lease of the instance the backup was taken from (it would refuse the next start until it
    lapsed). Only while no instance serves from this database: the caller checks `current` first.
    False when there was none."""
    with engine.begin() as connection:
        gone = connection.execute(delete(InstanceLease).where(InstanceLease.name == NAME))
    return gone.rowcount == 1


def current(engine: Engine) -> Lease | None:
    """The lease as stored (possibly expired), for messages and the CLI."""
    with engine.connect() as connection:
        row = connection.execute(
            select(InstanceLease.holder, InstanceLease.heartbeat_at, InstanceLease.expires_at)
            .where(InstanceLease.name == NAME)
        ).first()
    return Lease(*row) if row else None
