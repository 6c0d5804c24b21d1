"""The database extension (one SQLAlchemy engine, a thread-scoped session per app) and
schema upgrades through Alembic for the CLI and the tests (never `create_all`).

Written by hand rather than with Flask-SQLAlchemy because it is about forty lines and
keeps the dependency list to the one in the spec; it follows the CSRFProtect shape
(state in `app.extensions`, no `self.app`).

A fault of the database never leaves a session in a broken transaction behind (docs/design.md,
"Faults"): a failed commit is rolled back at once (`FaultSafeSession`), the error handlers
roll back what a failed statement left (`recover_current`), and the session's end when the
app context ends (`end_session`) throws a dead connection away instead of raising after the
answer was made.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import Flask, current_app
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import (DBAPIError, InterfaceError, InternalError, OperationalError, PendingRollbackError,
                            SQLAlchemyError)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from app.config import create_private_file, sqlite_path

log = logging.getLogger("gatehouse.database")
# What the database (or the way to it) failing raises, as opposed to a query our code got wrong:
# the server gone or refusing (OperationalError: also SQLite's "database or disk is full"), a
# dead socket (InterfaceError), a read-only database (PostgreSQL's 25006, an InternalError),
# no pooled connection in time, and the session a failure left behind (PendingRollbackError).
FAULTS = (OperationalError, InterfaceError, InternalError, PoolTimeout, PendingRollbackError)


def is_fault(error: BaseException) -> bool:
    """Whether `error` is the database failing (a 503 and a retry), not a bug (a 500)."""
    return isinstance(error, FAULTS) or connection_lost(error)


def fault_name(error: BaseException) -> str:
    """What failed, for the log, without the driver's message (which may quote a value): the
    exception's class, and SQLite's error name or PostgreSQL's SQLSTATE when there is one."""
    orig = getattr(error, "orig", None) or error
    code = getattr(orig, "sqlite_errorname", None) or getattr(orig, "sqlstate", None)
    return f"{type(orig).__name__} ({code})" if code else type(orig).__name__


def connection_lost(error: BaseException) -> bool:
    """Whether `error` came from a connection that died (its pool replaces it on the next checkout)."""
    return isinstance(error, DBAPIError) and error.connection_invalidated


class FaultSafeSession(Session):
    """A session that rolls back a commit that failed (a full disk, a dropped connection), so
    whatever runs next (the rest of the request, its error handler, the next request on this
    thread) finds it usable rather than "prepared" or waiting for a rollback."""

    def commit(self) -> None:
        try:
            super().commit()
        except SQLAlchemyError:
            recover(self)
            raise


def recover(session: Session) -> None:
    """Roll `session` back after a failed statement; if even that fails (the connection is dead),
    close it with its connections thrown away. Never raises."""
    try:
        session.rollback()
    except Exception:  # a dead socket raises whatever its driver raises
        try:
            session.invalidate()
        except Exception:
            pass


def recover_current() -> None:
    """`recover` this thread's session of the current app, if it has one (the error handlers)."""
    sessions = current_app.extensions["gatehouse.db"].sessions
    if sessions.registry.has():
        recover(sessions.registry())


def end_session(sessions: scoped_session) -> None:
    """The end of an app context: the thread's session closed and its connection handed back, or
    thrown away when it died meanwhile (a backend terminated after the last query). It runs after
    the answer was made, outside every error handler: it must never raise."""
    if not sessions.registry.has():
        return
    session = sessions.registry()
    try:
        session.close()
    except Exception as exc:  # the rollback on close met a dead connection
        log.warning("database connection lost by the end of a request (%s); it is discarded", type(exc).__name__,
                    extra={"event": "database_connection_lost"})
        try:
            session.invalidate()
        except Exception:
            pass
    finally:
        sessions.registry.clear()


class Database:
    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["GATEHOUSE_DATABASE_URL"])
        sessions = scoped_session(sessionmaker(bind=engine, class_=FaultSafeSession, expire_on_commit=False))
        app.extensions["gatehouse.db"] = Connections(engine, sessions)
        app.teardown_appcontext(lambda _exc: end_session(sessions))

    @property
    def engine(self) -> Engine:
        return current_app.extensions["gatehouse.db"].engine

    @property
    def session(self) -> Session:
        """The current thread's session; removed when the app context ends."""
        return current_app.extensions["gatehouse.db"].sessions()


class Connections:
    """One app's engine and its thread-scoped database sessions."""

    def __init__(self, engine: Engine, sessions: scoped_session[Session]) -> None:
        self.engine = engine
        self.sessions = sessions


def make_engine(url: str) -> Engine:
    """An engine with SQLite in WAL mode and a busy timeout, so readers never block the writer.

    `hide_parameters`: a database error must never put a hash or token hash into the log.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 10, "check_same_thread": False}, hide_parameters=True)
        path = sqlite_path(url)
        if path is not None:  # owner-only from the first byte (docs/security.md, "Instance files")
            event.listen(engine, "do_connect", lambda *_args: create_private_file(path))
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)
