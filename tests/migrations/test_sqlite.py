from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.database import make_engine
from app.models import Base


def test_migrations_match_the_models(migrated_template):
    engine = make_engine(f"sqlite:///{migrated_template}")
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []


def test_sqlite_runs_in_wal_mode_with_busy_timeout(migrated_template):
    engine = make_engine(f"sqlite:///{migrated_template}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
    engine.dispose()
