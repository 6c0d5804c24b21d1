"""Sessions on the Redis cache with two app objects standing in for two workers."""

import logging
import time

import pytest

from app.redis_client import connect
from app.services import master_password
from tests.support.app import PASSWORD, AuthActions
from tests.e2e.server import free_port

COOKIE = "gatehouse_session"


@pytest.fixture
def workers(make_app):
    """Build two apps on one database and one Redis; the master password is set."""

    def build(url, prefix="gatehouse:", cache="redis"):
        apps = [make_app(GATEHOUSE_CACHE=cache, GATEHOUSE_REDIS_URL=url, GATEHOUSE_REDIS_PREFIX=prefix) for _ in "12"]
        with apps[0].app_context():
            master_password.set_first(PASSWORD)
        return apps

    return build


def signed_in(app):
    client = app.test_client()
    assert AuthActions(client).login().status_code == 303
    return client


def same_browser(client, other_app):
    """A client of `other_app` carrying `client`'s session cookie (the next request, another worker)."""
    other = other_app.test_client()
    other.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return other


def cached_sessions(client, prefix):
    return [k for k in client.scan_iter(match=prefix + "session:*") if not k.endswith(":generation")]


def test_logout_in_one_worker_is_honoured_by_the_other_on_the_next_request(workers, redis_url, redis_prefix):
    one, two = workers(redis_url, redis_prefix)
    browser = signed_in(one)
    elsewhere = same_browser(browser, two)
    assert elsewhere.get("/").status_code == 200
    assert len(cached_sessions(connect(redis_url), redis_prefix)) == 1  # served from the shared cache
    assert AuthActions(browser).logout().status_code == 303
    for _ in range(20):
        assert elsewhere.get("/").status_code == 303


def test_with_in_process_caches_the_other_worker_would_still_accept(workers):
    """Why Redis is needed: the same sequence on memory caches leaves a live copy behind."""
    one, two = workers("", cache="memory")
    browser = signed_in(one)
    elsewhere = same_browser(browser, two)
    assert elsewhere.get("/").status_code == 200
    AuthActions(browser).logout()
    assert elsewhere.get("/").status_code == 200


def test_unreachable_redis_means_database_checks_and_no_errors(workers, make_app, caplog):
    one, two = workers(f"redis://127.0.0.1:{free_port()}/0")
    logging.getLogger("gatehouse").addHandler(caplog.handler)
    try:
        browser = signed_in(make_app())  # signed in before Redis went away (an in-process app, same database)
        elsewhere = same_browser(browser, two)
        statuses = [elsewhere.get("/").status_code for _ in range(10)]
        guesses = [AuthActions(app.test_client()).login() for app in (one, two, one, two)]
        AuthActions(same_browser(browser, one)).logout()
        after = [elsewhere.get("/").status_code for _ in range(10)]
    finally:
        logging.getLogger("gatehouse").removeHandler(caplog.handler)
    assert statuses == [200] * 10 and after == [303] * 10
    assert [(r.status_code, r.headers.get("Retry-After")) for r in guesses] == [(503, "5")] * 4  # fails closed
    events = [getattr(r, "event", None) for r in caplog.records]
    assert events.count("cache_unavailable") == 2  # one per worker, not one per request
    assert events.count("limiter_unavailable") == 2


def test_redis_stopped_mid_run_and_started_again(workers, redis_server):
    one, two = workers(redis_server.url)
    kept, revoked = signed_in(one), signed_in(one)
    kept_two, revoked_two = same_browser(kept, two), same_browser(revoked, two)
    assert kept_two.get("/").status_code == 200 and revoked_two.get("/").status_code == 200
    assert len(cached_sessions(redis_server.client(), "gatehouse:")) == 2

    redis_server.stop()
    assert kept_two.get("/").status_code == 200  # validated from the database
    assert AuthActions(revoked).logout().status_code == 303  # the invalidation cannot reach Redis
    assert revoked_two.get("/").status_code == 303
    assert kept.get("/").status_code == 200

    redis_server.start()
    time.sleep(1.2)  # the outage's retry interval
    assert kept_two.get("/").status_code == 200 and revoked_two.get("/").status_code == 303
    assert len(cached_sessions(redis_server.client(), "gatehouse:")) == 1  # in use again
    assert kept.get("/").status_code == 200
