"""The store faults (faults/run.py; the process faults are faults/scenarios.py): Redis stopped and
stalled, PostgreSQL refusing connections and cutting them, a kill -9 inside a password change's
transaction, a full disk."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from faults.scenarios import BROWSERS, OTHER, PASSWORD, SERVER, Result, browsers, finish, signs_in, until_signed_in
from faults.stack import Gatehouse, Postgres, redis_server
from faults.traffic import Client, address
from tests.support.faults import fill, tiny_filesystem

OUTAGE = 5.0  # seconds each outage lasts


def redis_outage(folder: Path) -> Result:
    """redis-server stopped for OUTAGE seconds and started again, under GATEHOUSE_CACHE=redis."""
    result = Result("Redis stopped and restarted")
    with redis_server() as redis:
        gatehouse = Gatehouse(folder, PASSWORD, GATEHOUSE_CACHE="redis", GATEHOUSE_REDIS_URL=redis.url, **SERVER)
        with browsers(gatehouse, result):
            time.sleep(2)
            redis.stop()
            time.sleep(OUTAGE)
            redis.start()
            result.recovery.append(until_signed_in(gatehouse.url))
            time.sleep(2)
        return finish(result, gatehouse)


def redis_stall(folder: Path) -> Result:
    """redis-server paused (SIGSTOP) for OUTAGE seconds while browsers sign in, then resumed. The
    recovery is the admin's: from an address that tried to sign in during the stall."""
    result = Result("Redis stalled (SIGSTOP)", recovery_limit=5)  # 0702507: 30 s (issue 22)
    admin = address()
    with redis_server() as redis:
        gatehouse = Gatehouse(folder, PASSWORD, GATEHOUSE_CACHE="redis", GATEHOUSE_REDIS_URL=redis.url, **SERVER)
        with browsers(gatehouse, result):
            time.sleep(2)
            os.kill(redis.process.pid, signal.SIGSTOP)
            stalled_until, refused = time.monotonic() + OUTAGE, True
            while time.monotonic() < stalled_until:  # some of these reach Redis (its outage's probes) and wait there
                refused &= not signs_in(gatehouse.url, ip=admin)  # 503: fails closed
                time.sleep(0.3)
            os.kill(redis.process.pid, signal.SIGCONT)
            result.recovery.append(until_signed_in(gatehouse.url, ip=admin))
            result.note = f"the admin's sign-ins during the stall {'refused' if refused else 'NOT all refused'}"
            time.sleep(2)
        return finish(result, gatehouse)


def postgres_outage(folder: Path) -> Result:
    """The PostgreSQL database refuses connections and cuts the open ones for OUTAGE seconds; then
    its connections are terminated every 0.2 s for OUTAGE seconds more."""
    result, database = Result("PostgreSQL refused, then connections terminated"), Postgres()
    try:
        gatehouse = Gatehouse(folder, PASSWORD, GATEHOUSE_DATABASE_URL=database.url, **SERVER)
        with browsers(gatehouse, result):
            time.sleep(2)
            database.refuse(True)
            time.sleep(OUTAGE)
            database.refuse(False)
            result.recovery.append(until_signed_in(gatehouse.url))
            cut, until = 0, time.monotonic() + OUTAGE
            while time.monotonic() < until:
                cut += database.terminate_all()
                time.sleep(0.2)
            result.recovery.append(until_signed_in(gatehouse.url))
            result.note = f"{cut} connections terminated"
            time.sleep(2)
        return finish(result, gatehouse)
    finally:
        database.drop()


def kill9_inside_a_change(folder: Path) -> Result:
    """kill -9 while a password change waits inside its transaction (a row lock held at the hash):
    afterwards the old password works, the new one does not, and every session lives."""
    result, database = Result("kill -9 inside a password change", recovery_limit=30), Postgres()
    try:
        gatehouse = Gatehouse(folder, PASSWORD, GATEHOUSE_DATABASE_URL=database.url, **SERVER)
        with browsers(gatehouse, result, count=2) as base:
            time.sleep(1)
            changer = Client(base, result.tally)
            cookie, until = None, time.monotonic() + 30
            while cookie is None and time.monotonic() < until:  # the browsers may hold the check slot
                cookie = changer.sign_in(PASSWORD)
            if cookie is None:
                raise AssertionError("the admin could not sign in for 30 s")
            result.ledger.signed_in(cookie)
            holder = create_engine(database.url)
            with holder.connect() as connection:
                connection.execute(text("SELECT 1 FROM settings WHERE key = 'password_hash' FOR UPDATE"))
                token = changer.form_token("/password")
                change = threading.Thread(target=changer.call, args=("POST /password", "POST", "/password"), kwargs={
                    "data": {"csrf_token": token, "current": PASSWORD, "new": OTHER, "confirm": OTHER}})
                change.start()
                until = time.monotonic() + 30
                while not database.waiting_on_a_lock():
                    if time.monotonic() > until:
                        raise AssertionError("the password change never reached the locked row")
                    time.sleep(0.05)
                gatehouse.kill9()
                connection.rollback()
            holder.dispose()
            change.join(30)
            result.recovery.append(gatehouse.restart())
            base.url = gatehouse.url
            result.neither = int(not signs_in(gatehouse.url, PASSWORD) or signs_in(gatehouse.url, OTHER))
            time.sleep(1)
        return finish(result, gatehouse)
    finally:
        database.drop()


def full_disk(folder: Path) -> Result:
    """The instance folder (SQLite) on a 16 MiB tmpfs, filled for OUTAGE seconds, then freed. (Room
    for SQLite's write-ahead log, up to 4 MiB before a checkpoint: on a smaller one the traffic
    fills the disk itself, and a checkpoint needs space to free any.)"""
    result = Result("full disk (SQLite on a tmpfs)")
    with tiny_filesystem(folder / "tiny", "16m") as tiny:
        if tiny is None:
            result.skipped = "needs root to mount a tmpfs"
            return result
        gatehouse = Gatehouse(tiny, PASSWORD, logs=folder, **SERVER)
        with browsers(gatehouse, result, count=BROWSERS):
            time.sleep(2)
            filler = fill(tiny)
            time.sleep(OUTAGE)
            filler.unlink()
            result.recovery.append(until_signed_in(gatehouse.url))
            time.sleep(2)
        result = finish(result, gatehouse)
    return result
