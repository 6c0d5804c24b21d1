"""What the suite runs and breaks (faults/run.py): gunicorn as shipped, a redis-server of its own,
a PostgreSQL database of its own on the machine's server (the tiny file system is the tests' own,
tests/support/faults.py).

gunicorn is tests/e2e/server.py's `Server` (gatehouse db upgrade, set-password, gunicorn -c
gunicorn.conf.py wsgi:app); a restart after kill -9 is retried each second, as systemd's
Restart= would, until the dead instance's lease lapses (docs/design.md, "One worker, one instance").
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, text

from tests.e2e.server import Server
from tests.support.redis import RedisServer

POSTGRES_ADMIN = os.environ.get("GATEHOUSE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RUNNING: list = []  # every Gatehouse started, so faults/run.py stops them whatever happens


class Gatehouse:
    """One instance folder, served by one gunicorn at a time (a restart is a new process and port)."""

    def __init__(self, folder: Path, password: str, logs: Path | None = None, **env: str) -> None:
        self.folder, self.env, self.logs = folder, env, logs
        self.server = self._server()
        RUNNING.append(self)
        self.server.prepare(password)
        self.server.start()

    def _server(self) -> Server:
        server = Server(self.folder / "instance", **self.env)
        if self.logs is not None:  # gunicorn's output kept off the instance's file system
            server.log = self.logs / server.log.name
        return server

    @property
    def url(self) -> str:
        return self.server.url

    def kill9(self) -> None:
        self.server.kill()

    def sigterm(self) -> int:
        return self.server.stop(signal.SIGTERM)

    def restart(self, timeout: float = 60) -> float:
        """Start again (each second until it serves); returns the seconds it took."""
        started = time.monotonic()
        while True:
            server = self._server()
            try:
                server.start()
            except AssertionError:  # refused (the dead instance's lease), or not up yet
                if time.monotonic() - started > timeout:
                    raise
                time.sleep(1)
                continue
            self.server = server
            return time.monotonic() - started

    def stop(self) -> None:
        if self.server.process is not None and self.server.process.poll() is None:
            self.server.stop()

    def log(self) -> str:
        return self.server.output()


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    try:
        yield server
    finally:
        if server.process is not None and server.process.poll() is None:
            os.kill(server.process.pid, signal.SIGCONT)
        server.stop()


class Postgres:
    """A database of the suite's own on the machine's PostgreSQL, which it may refuse and cut off."""

    def __init__(self) -> None:
        self.admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        self.name = f"gatehouse_faults_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = self.admin.url.set(database=self.name).render_as_string(hide_password=False)

    def refuse(self, refusing: bool) -> None:
        """An outage of this database: new connections refused, open ones cut (and back again)."""
        with self.admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{self.name}" WITH ALLOW_CONNECTIONS {str(not refusing).lower()}'))
        if refusing:
            self.terminate_all()

    def terminate_all(self) -> int:
        with self.admin.connect() as connection:
            return len(connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": self.name}).all())

    def waiting_on_a_lock(self) -> bool:
        with self.admin.connect() as connection:
            return bool(connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = :name AND wait_event_type = 'Lock'"
            ), {"name": self.name}).scalar())

    def drop(self) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{self.name}" WITH ALLOW_CONNECTIONS true'))
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()
