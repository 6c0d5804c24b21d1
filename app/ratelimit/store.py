"""Where the limiter's state lives beyond the process: the interface and the database store.

The limiter keeps the working state in memory (`Tracker`) and writes every change through to
a `LimitStore`, which it reads back at start-up and whenever `generation()` changes (another
process, such as `gatehouse unblock`, edited the state). That is `LocalLimits`
(app/ratelimit/limits.py); with shared state the limiter uses Redis instead, and these tables
stay empty.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Protocol

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from app.models import LoginFailure, LoginLimit, Setting
from app.ratelimit.policy import Record

GENERATION_KEY = "login_limits_generation"


class LimitStore(Protocol):
    def load(self, now: float, fade_seconds: int, window: int) -> tuple[dict[str, Record], list[float]]: ...
    def prune(self, now: float, fade_seconds: int, window: int) -> None: ...
    def save(self, changes: dict[str, Record | None], failure_at: float | None, window: int) -> None: ...
    def clear(self, key: str | None) -> None: ...
    def get(self, key: str) -> Record | None: ...
    def generation(self) -> str: ...
    def bump_generation(self) -> str: ...


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, timezone.utc)


class DatabaseStore:
    """Two small tables; bounded because the limiter deletes what it evicts or forgets."""

    def __init__(self, engine_getter) -> None:
        self._engine_getter = engine_getter  # the app's engine, looked up inside an app context

    @property
    def engine(self) -> Engine:
        return self._engine_getter()

    def prune(self, now: float, fade_seconds: int, window: int) -> None:
        """Delete what no longer counts: faded records and failures older than the window."""
        table = LoginLimit.__table__
        with self.engine.begin() as conn:
            conn.execute(delete(LoginFailure.__table__).where(LoginFailure.failed_at <= _dt(now - window)))
            conn.execute(delete(table).where(
                table.c.last_failure_at <= _dt(now - fade_seconds), table.c.blocked_until <= _dt(now),
                table.c.exempt_until <= _dt(now),
            ))

    def load(self, now: float, fade_seconds: int, window: int) -> tuple[dict[str, Record], list[float]]:
        table = LoginLimit.__table__
        with self.engine.connect() as conn:
            rows = conn.execute(select(table)).all()
            failures = conn.scalars(select(LoginFailure.failed_at)).all()
        records = {
            row.key: Record(row.failures, row.last_failure_at.timestamp(), row.blocked_until.timestamp(),
                            row.exempt_until.timestamp())
            for row in rows
        }
        return records, [at.timestamp() for at in failures]

    def save(self, changes: dict[str, Record | None], failure_at: float | None, window: int) -> None:
        """Write records (None deletes) and, for an untrusted failure, its time; one transaction."""
        table = LoginLimit.__table__
        with self.engine.begin() as conn:
            if changes:
                conn.execute(delete(table).where(table.c.key.in_(list(changes))))
            rows = [
                {"key": key, "failures": r.failures, "last_failure_at": _dt(r.last_failure),
                 "blocked_until": _dt(r.blocked_until), "exempt_until": _dt(r.exempt_until)}
                for key, r in changes.items() if r is not None
            ]
            if rows:
                conn.execute(insert(table), rows)
            if failure_at is not None:
                conn.execute(insert(LoginFailure.__table__).values(failed_at=_dt(failure_at)))
                conn.execute(delete(LoginFailure.__table__).where(LoginFailure.failed_at <= _dt(failure_at - window)))

    def get(self, key: str) -> Record | None:
        """One client's stored record (for `gatehouse unblock` to say what it lifted)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(LoginLimit.__table__).where(LoginLimit.key == key)).first()
        if row is None:
            return None
        return Record(row.failures, row.last_failure_at.timestamp(), row.blocked_until.timestamp(),
                      row.exempt_until.timestamp())

    def clear(self, key: str | None) -> None:
        with self.engine.begin() as conn:
            if key is None:
                conn.execute(delete(LoginLimit.__table__))
                conn.execute(delete(LoginFailure.__table__))
            else:
                conn.execute(delete(LoginLimit.__table__).where(LoginLimit.key == key))

    def generation(self) -> str:
        with self.engine.connect() as conn:
            return conn.scalar(select(Setting.value).where(Setting.key == GENERATION_KEY)) or ""

    def bump_generation(self) -> str:
        value = secrets.token_hex(8)
        with self.engine.begin() as conn:
            conn.execute(delete(Setting.__table__).where(Setting.key == GENERATION_KEY))
            conn.execute(insert(Setting.__table__).values(key=GENERATION_KEY, value=value, updated_at=datetime.now(timezone.utc)))
        return value
