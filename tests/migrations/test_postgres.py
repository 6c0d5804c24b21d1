"""Alembic builds the same schema on an empty PostgreSQL database as on an empty SQLite one."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app.database import make_engine
from app.database import upgrade
from app.models import Base


def schema(engine) -> dict:
    """Tables, columns (generic type, length, nullability), keys, indexes and the revision."""
    found = inspect(engine)
    tables = {}
    for table in sorted(found.get_table_names()):
        columns = {
            c["name"]: (type(c["type"].as_generic()).__name__, getattr(c["type"], "length", None), c["nullable"])
            for c in found.get_columns(table)
        }
        tables[table] = {
            "columns": columns,
            "primary_key": found.get_pk_constraint(table)["constrained_columns"],
            "unique": sorted((u["name"], tuple(u["column_names"])) for u in found.get_unique_constraints(table)),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in found.get_indexes(table)
                if not i.get("duplicates_constraint")  # PostgreSQL lists a unique constraint's index too
            ),
        }
    with engine.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    return {"tables": tables, "revision": revision, "diff_from_models": diff}


@pytest.fixture
def empty_postgres(postgres):
    with postgres.database() as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def test_empty_postgresql_and_sqlite_upgrade_to_the_same_schema(empty_postgres, tmp_path):
    sqlite = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    assert inspect(empty_postgres).get_table_names() == []
    upgrade(sqlite)
    upgrade(empty_postgres)
    on_sqlite, on_postgres = schema(sqlite), schema(empty_postgres)
    sqlite.dispose()
    assert on_postgres["diff_from_models"] == [] and on_sqlite["diff_from_models"] == []
    assert on_postgres["revision"] == on_sqlite["revision"] is not None
    assert "login_sessions" in on_postgres["tables"]
    assert on_postgres["tables"] == on_sqlite["tables"]


def test_upgrading_postgresql_twice_changes_nothing(empty_postgres):
    upgrade(empty_postgres)
    before = schema(empty_postgres)
    upgrade(empty_postgres)
    assert schema(empty_postgres) == before
