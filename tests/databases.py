"""Throw-away PostgreSQL databases for the tests that must run on both SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.database import make_engine
from tests.conftest import require_external

SERVER = os.environ.get("GATEHOUSE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextmanager
def postgres_database():
    """Yield the URL of a new, empty database on the test server (GATEHOUSE_TEST_POSTGRES_URL); drop it after."""
    name = f"gatehouse_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(SERVER).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except SQLAlchemyError:
        admin.dispose()
        require_external(f"PostgreSQL at {SERVER.split('@')[-1]} is not reachable")
    try:
        yield SERVER.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
