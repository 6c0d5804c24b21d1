"""The background job: purge tasks, the hook for other features, and the lease-holding thread."""

import time
from datetime import timedelta

from sqlalchemy import select, update

from app.runtime import lease
from app.extensions import db
from app.runtime.jobs import Housekeeper, add_task, run_tasks
from app.models import InstanceLease, LoginSession, utcnow
from app.services import login_sessions


def make_sessions(app):
    """One session of each fate; returns the ids of the two that must survive."""
    with app.app_context():
        now = utcnow()
        ids = {name: login_sessions.create(kind, "127.0.0.1", None).row.id for name, kind in [
            ("live", login_sessions.BROWSER), ("idle_api", login_sessions.API), ("revoked", login_sessions.BROWSER),
            ("expired", login_sessions.API), ("idle_browser", login_sessions.BROWSER),
        ]}
        changes = {
            "revoked": {"revoked_at": now},
            "expired": {"expires_at": now - timedelta(seconds=1)},
            "idle_browser": {"last_seen_at": now - timedelta(minutes=31)},
            "idle_api": {"last_seen_at": now - timedelta(minutes=31)},
        }
        for name, values in changes.items():
            db.session.execute(update(LoginSession).where(LoginSession.id == ids[name]).values(**values))
        db.session.commit()
    return {ids["live"], ids["idle_api"]}


def remaining(app):
    with app.app_context():
        return set(db.session.scalars(select(LoginSession.id)))


def test_purge_removes_only_sessions_that_cannot_validate(app):
    survivors = make_sessions(app)
    assert run_tasks(app)["purge sessions"] == 3
    assert remaining(app) == survivors


def test_added_tasks_run_and_a_failing_one_does_not_stop_the_rest(app, caplog):
    seen = []

    def broken(now):
        raise RuntimeError("boom")

    add_task(app, "broken", broken)
    add_task(app, "limiter rows", lambda now: seen.append(now) or 7)
    now = utcnow()
    done = run_tasks(app, now)
    assert seen == [now] and done["limiter rows"] == 7 and "broken" not in done
    assert any(r.event == "task_failed" and r.task == "broken" for r in caplog.records if hasattr(r, "event"))


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def test_only_the_lease_holder_purges_and_the_standby_takes_over(app):
    engine = app.extensions["gatehouse.db"].engine
    assert lease.acquire(engine, "first")
    first = Housekeeper(app, engine, "first", holding=True, heartbeat=0.05, purge_every=0)
    standby = Housekeeper(app, engine, "standby", holding=False, heartbeat=0.05, purge_every=0)
    standby.start()
    time.sleep(0.3)
    survivors = make_sessions(app)
    time.sleep(0.3)
    assert len(remaining(app)) == 5 and not standby.holding  # the standby never purges
    first.start()
    wait_for(lambda: remaining(app) == survivors)
    started = time.monotonic()
    first.stop()
    assert not first.is_alive() and time.monotonic() - started < 1
    assert lease.release(engine, "first")
    wait_for(lambda: standby.holding)
    assert lease.current(engine).holder == "standby"
    standby.stop()
    assert not standby.is_alive()


def test_losing_the_lease_to_another_holder_calls_on_lost(app):
    engine = app.extensions["gatehouse.db"].engine
    assert lease.acquire(engine, "mine")
    lost = []
    keeper = Housekeeper(app, engine, "mine", holding=True, on_lost=lambda: lost.append(True), heartbeat=0.05)
    keeper.start()
    try:
        with engine.begin() as connection:
            connection.execute(
                update(InstanceLease).values(holder="other", expires_at=utcnow() + timedelta(minutes=5))
            )
        wait_for(lambda: lost == [True])
        assert not keeper.holding
    finally:
        keeper.stop()


def test_purge_round_also_prunes_faded_limiter_rows(app):
    from app.models import LoginFailure, LoginLimit
    from tests.support.app import count_rows

    old = utcnow() - timedelta(hours=2)
    with app.app_context():
        db.session.add(LoginLimit(key="ip:203.0.113.5", failures=3, last_failure_at=old, blocked_until=old, exempt_until=old))
        db.session.add(LoginFailure(failed_at=old))
        db.session.commit()
    run_tasks(app)
    assert count_rows(app, LoginLimit) == 0 and count_rows(app, LoginFailure) == 0
