"""The instance lease on a real database: exclusive, renewable, self-freeing, releasable."""

import os
import threading
from datetime import timedelta

import pytest

from app.runtime import lease
from app.database import make_engine
from app.database import upgrade
from app.models import utcnow

TTL = timedelta(seconds=15)


@pytest.fixture
def sqlite_engine(tmp_path, migrated_template):
    path = tmp_path / "lease.db"
    path.write_bytes(migrated_template.read_bytes())
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_engine(postgres):
    with postgres.database() as url:
        engine = make_engine(url)
        upgrade(engine)
        yield engine
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request):
    return request.getfixturevalue(f"{request.param}_engine")


def test_one_holder_at_a_time_and_renewal_extends(engine):
    now = utcnow()
    assert lease.acquire(engine, "a", TTL, now)
    assert not lease.acquire(engine, "b", TTL, now + timedelta(seconds=1))
    assert lease.acquire(engine, "a", TTL, now + timedelta(seconds=5))
    held = lease.current(engine)
    assert held.holder == "a" and held.expires_at == now + timedelta(seconds=20)
    assert not lease.acquire(engine, "b", TTL, now + timedelta(seconds=19))


def test_an_expired_lease_goes_to_the_next_holder(engine):
    now = utcnow()
    assert lease.acquire(engine, "dead", TTL, now)
    assert lease.acquire(engine, "next", TTL, now + TTL)
    assert lease.current(engine).holder == "next"
    assert not lease.acquire(engine, "dead", TTL, now + TTL + timedelta(seconds=1))


def test_release_only_by_the_holder(engine):
    assert lease.acquire(engine, "a", TTL)
    assert not lease.release(engine, "b")
    assert not lease.acquire(engine, "b", TTL)
    assert lease.release(engine, "a")
    assert lease.current(engine) is None
    assert lease.acquire(engine, "b", TTL)


def test_clear_frees_a_copied_lease_for_a_restored_database(sqlite_engine, tmp_path):
    """Issue 22: a backup carries the live lease; restored, it refused the next start until it lapsed.
    `gatehouse restore` (issue 17) clears it with `lease.clear`."""
    assert lease.acquire(sqlite_engine, "the-instance-backed-up:1", TTL)
    sqlite_engine.dispose()
    copy = tmp_path / "restored.db"
    copy.write_bytes((tmp_path / "lease.db").read_bytes())
    restored = make_engine(f"sqlite:///{copy}")
    try:
        assert not lease.acquire(restored, "the-restored-instance:2", TTL)
        assert lease.clear(restored) is True and lease.current(restored) is None
        assert lease.acquire(restored, "the-restored-instance:2", TTL)
        assert lease.clear(restored) is True and lease.clear(restored) is False
    finally:
        restored.dispose()


def test_racing_candidates_get_exactly_one_lease(engine):
    results = []
    barrier = threading.Barrier(6)

    def candidate(name):
        barrier.wait()
        results.append(lease.acquire(engine, name, TTL))

    threads = [threading.Thread(target=candidate, args=(f"c{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 5 + [True]


def test_holder_is_the_instance_or_the_process(monkeypatch):
    monkeypatch.setenv("GATEHOUSE_INSTANCE_ID", "host:42")
    assert lease.holder_id(per_process=False) == "host:42"
    assert lease.holder_id(per_process=True) == f"host:42/{os.getpid()}"


def test_migration_0002_adds_the_lease_table_and_downgrades(sqlite_engine):
    from alembic import command
    from sqlalchemy import inspect

    from app.database import alembic_config

    assert "instance_lease" in inspect(sqlite_engine).get_table_names()
    command.downgrade(alembic_config(sqlite_engine), "0001")
    assert "instance_lease" not in inspect(sqlite_engine).get_table_names()
    upgrade(sqlite_engine)
    assert lease.acquire(sqlite_engine, "after-upgrade", TTL)
