"""The worker check and the shared-state predicate, without starting gunicorn (tests/e2e does that)."""

from types import SimpleNamespace

import pytest

from app.runtime.workers import WorkerCheckError, check_workers, gunicorn_settings, state_is_shared


@pytest.mark.parametrize(
    "cache, redis_url, shared",
    [
        (None, None, False),
        ("memory", "redis://r", False),
        ("none", None, False),
        ("redis", "", False),
        ("none", "redis://r", True),
        ("redis", "redis://r", True),
    ],
)
def test_state_is_shared_only_with_a_shared_cache_and_redis(cache, redis_url, shared):
    config = {k: v for k, v in {"GATEHOUSE_CACHE": cache, "GATEHOUSE_REDIS_URL": redis_url}.items() if v is not None}
    assert state_is_shared(config) is shared


def test_state_is_shared_reads_app_config(make_app):
    assert state_is_shared(make_app().config) is False
    assert state_is_shared(make_app(GATEHOUSE_CACHE="none", GATEHOUSE_REDIS_URL="redis://r").config) is True


@pytest.mark.parametrize(
    "environ, workers, argv, named",
    [
        ({"GATEHOUSE_WORKERS": "3"}, None, [], "GATEHOUSE_WORKERS=3"),
        ({"WEB_CONCURRENCY": "2"}, None, [], "WEB_CONCURRENCY=2"),
        ({}, 2, ["gunicorn", "-w2"], "-w/--workers option"),
        ({"GUNICORN_CMD_ARGS": "-w 4"}, 4, ["gunicorn"], "GUNICORN_CMD_ARGS='-w 4'"),
        ({}, 2, ["gunicorn"], "config file /etc/g.py"),
    ],
)
def test_more_than_one_worker_with_local_state_is_refused(environ, workers, argv, named):
    cfg = SimpleNamespace(workers=workers, config="/etc/g.py") if workers else None
    with pytest.raises(WorkerCheckError) as caught:
        check_workers(environ, cfg, argv)
    message = str(caught.value)
    assert named in message and "GATEHOUSE_CACHE=memory" in message and "Fix:" in message
    check_workers({**environ, "GATEHOUSE_CACHE": "redis", "GATEHOUSE_REDIS_URL": "redis://r"}, cfg, argv)


def test_one_worker_passes_and_a_bad_count_is_named():
    check_workers({"GATEHOUSE_WORKERS": "1", "WEB_CONCURRENCY": "1"}, SimpleNamespace(workers=1), ["gunicorn"])
    with pytest.raises(WorkerCheckError, match="GATEHOUSE_WORKERS='two' is invalid"):
        check_workers({"GATEHOUSE_WORKERS": "two"}, None, [])


def test_no_gunicorn_settings_outside_gunicorn():
    assert gunicorn_settings() is None
