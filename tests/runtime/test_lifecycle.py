"""Start-up and stop of a serving process, in-process (tests/e2e does it with gunicorn)."""

import pytest

from app.runtime import lease
from app.runtime.lifecycle import StartupError, start_serving, stop_serving

SHARED = {"GATEHOUSE_CACHE": "none", "GATEHOUSE_REDIS_URL": "redis://127.0.0.1:6379/0"}


def engine_of(app):
    return app.extensions["gatehouse.db"].engine


def test_second_instance_is_refused_until_the_first_stops(make_app, monkeypatch):
    first, second = make_app(), make_app()
    monkeypatch.setenv("GATEHOUSE_INSTANCE_ID", "host-a:1")
    start_serving(first)
    keeper = first.extensions["gatehouse.serving"]
    assert keeper.is_alive() and lease.current(engine_of(first)).holder == "host-a:1"
    monkeypatch.setenv("GATEHOUSE_INSTANCE_ID", "host-b:2")
    with pytest.raises(StartupError, match=r"already serving from this database \(host-a:1.*Stop it first"):
        start_serving(second)
    stop_serving(first)
    assert not keeper.is_alive() and lease.current(engine_of(first)) is None
    assert engine_of(first).pool.checkedout() == 0
    stop_serving(first)  # a second call (atexit after worker_exit) does nothing
    start_serving(second)
    assert lease.current(engine_of(second)).holder == "host-b:2"
    stop_serving(second)


def test_with_shared_state_a_second_instance_serves_on_standby(make_app, monkeypatch):
    first, second = make_app(**SHARED), make_app(**SHARED)
    monkeypatch.setenv("GATEHOUSE_INSTANCE_ID", "host-a:1")
    start_serving(first)
    monkeypatch.setenv("GATEHOUSE_INSTANCE_ID", "host-b:2")
    start_serving(second)
    try:
        assert first.extensions["gatehouse.serving"].holding
        assert not second.extensions["gatehouse.serving"].holding
        assert lease.current(engine_of(first)).holder.startswith("host-a:1/")
    finally:
        stop_serving(first)
        stop_serving(second)


def test_unmigrated_database_says_what_to_run(make_app, tmp_path):
    app = make_app(GATEHOUSE_DATABASE_URL=f"sqlite:///{tmp_path}/empty.db")
    with pytest.raises(StartupError, match="run `gatehouse db upgrade`"):
        start_serving(app)


def test_a_metrics_bind_without_the_gunicorn_hooks_is_reported(make_app, monkeypatch, caplog):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    app = make_app(GATEHOUSE_METRICS_BIND="127.0.0.1:9480")
    start_serving(app)
    try:
        warned = [r for r in caplog.records if getattr(r, "event", None) == "metrics_not_started"]
        assert len(warned) == 1 and "gunicorn.conf.py" in warned[0].getMessage()
    finally:
        stop_serving(app)
