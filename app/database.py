"""The database extension (one SQLAlchemy engine, a thread-scoped session per app) and
schema upgrades through Alembic for the CLI and the tests (never `create_all`).

Written by hand rather than with Flask-SQLAlchemy because it is about forty lines and
keeps the dependency list to the one in the spec; it follows the CSRFProtect shape
(state in `app.extensions`, no `self.app`).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import Flask, current_app
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from app.config import create_private_file, sqlite_path


class Database:
    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["GATEHOUSE_DATABASE_URL"])
        sessions = scoped_session(sessionmaker(bind=engine, expire_on_commit=False))
        app.extensions["gatehouse.db"] = Connections(engine, sessions)
        app.teardown_appcontext(lambda _exc: sessions.remove())

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
