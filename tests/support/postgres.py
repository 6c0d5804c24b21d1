"""PostgreSQL for the tests: the one helper. Loaded from tests/conftest.py as a plugin.

- `--db` (default both; or GATEHOUSE_TEST_DB) runs every app test on SQLite, PostgreSQL or
  both, through the `database_url` fixture param. Once per pytest run a uniquely named
  database is created and migrated by Alembic (dropped at the end), so parallel runs on one
  server never collide; before each test every table is emptied with one TRUNCATE (~10 ms; a
  per-test CREATE DATABASE ... TEMPLATE costs 0.3 s on a busy disk).
- `postgres` (the server) hands out throw-away databases of a test's own:
  `with postgres.database() as url: ...` (lease, a second instance, an empty schema).

The server is the machine's (GATEHOUSE_TEST_POSTGRES_URL, default the CI one); without it the
tests skip with the reason, or fail under GATEHOUSE_REQUIRE_EXTERNAL=1.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support.external import require_external

ADMIN_URL = os.environ.get("GATEHOUSE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CHOICES = {"sqlite": ["sqlite"], "postgresql": ["postgresql"], "both": ["sqlite", "postgresql"]}


def pytest_addoption(parser):
    parser.addoption(
        "--db", choices=sorted(CHOICES), default=os.environ.get("GATEHOUSE_TEST_DB", "both"),
        help="database(s) the app tests run on (default: both; PostgreSQL from GATEHOUSE_TEST_POSTGRES_URL)",
    )


def pytest_generate_tests(metafunc):
    """Every test that builds an app (through `database_url`) runs once per chosen database."""
    if "database_url" in metafunc.fixturenames:
        metafunc.parametrize("database_url", CHOICES[metafunc.config.getoption("db")], indirect=True)


class Postgres:
    """Creates, empties and drops databases on the server named by ADMIN_URL."""

    def __init__(self, admin_url: str) -> None:
        self.url = make_url(admin_url)
        self.admin = create_engine(self.url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})

    def url_for(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def create(self) -> str:
        name = f"gatehouse_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        return name

    def drop(self, name: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    @contextmanager
    def database(self) -> Iterator[str]:
        """The URL of a new, empty database of the caller's own, dropped afterwards."""
        name = self.create()
        try:
            yield self.url_for(name)
        finally:
            self.drop(name)


def empty_every_table(engine) -> None:
    """TRUNCATE all tables but Alembic's, identities restarted: a freshly migrated database."""
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL lock_timeout = '10s'"))  # a leaked connection fails loudly
        names = connection.execute(text(
            "SELECT quote_ident(tablename) FROM pg_tables"
            " WHERE schemaname = current_schema() AND tablename <> 'alembic_version'"
        )).scalars().all()
        if names:
            connection.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def postgres():
    """The PostgreSQL server for tests, or a skip (a failure under GATEHOUSE_REQUIRE_EXTERNAL=1)."""
    try:
        server = Postgres(ADMIN_URL)
        with server.admin.connect():
            pass
    except Exception as exc:  # psycopg missing, server down, auth refused
        require_external(f"PostgreSQL at {make_url(ADMIN_URL).render_as_string()} unavailable ({type(exc).__name__})")
    yield server
    server.admin.dispose()


@pytest.fixture(scope="session")
def postgres_database(postgres):
    """This pytest run's own database, migrated once by Alembic; yields (url, engine)."""
    from app.database import make_engine
    from app.database import upgrade

    name = postgres.create()
    url = postgres.url_for(name)
    engine = make_engine(url)
    upgrade(engine)
    yield url, engine
    engine.dispose()
    postgres.drop(name)


@pytest.fixture
def database_url(request):
    """This test's database URL: None for SQLite (conftest copies the migrated file), else the
    run's PostgreSQL database with every table emptied first."""
    if request.param == "sqlite":
        return None
    url, engine = request.getfixturevalue("postgres_database")
    empty_every_table(engine)
    return url
