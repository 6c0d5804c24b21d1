"""Four gunicorn workers (`-w 4`) on one PostgreSQL database and one Redis: they act as one.

One server for the module (starting four workers is the slow part); each test uses its own
client addresses (X-Forwarded-For from the trusted loopback), and the Redis outage comes last.
Every request opens a new connection, so the workers take turns answering; the JSON log's
`pid` shows that more than one did.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter

import pytest

from tests.support.app import PASSWORD
from tests.support.external import require_external
from tests.e2e.server import Server
from tests.support.redis import RedisServer
from tests.support.served import attempt, entries, home, logout, pids, signed_in, wait_serving

BACKOFF = 60  # seconds: the first failure's block outlasts the 50 attempts after it


@pytest.fixture(scope="module")
def four(tmp_path_factory, postgres):
    if shutil.which("redis-server") is None:
        require_external("redis-server binary not installed")
    redis_server, name = RedisServer().start(), postgres.create()
    server = Server(tmp_path_factory.mktemp("workers") / "instance", GATEHOUSE_DATABASE_URL=postgres.url_for(name),
                    GATEHOUSE_CACHE="redis", GATEHOUSE_REDIS_URL=redis_server.url, GATEHOUSE_TRUSTED_PROXIES="127.0.0.1",
                    GATEHOUSE_LOGIN_BACKOFF=str(BACKOFF))
    server.prepare(PASSWORD)
    try:
        server.start("-w", "4")
        assert len(wait_serving(server, 4)) == 4, server.output()
        yield server, redis_server
    finally:
        server.stop()
        redis_server.stop()
        postgres.drop(name)


def spread(server, mark: int, send, count: int, **match) -> list:
    """`send()` `count` times, then on (up to ten times as often) until two workers answered."""
    results = [send() for _ in range(count)]
    while len(pids(server, mark, event="request", **match)) < 2 and len(results) < 10 * count:
        results.append(send())
    print("answered by", Counter(e["pid"] for e in entries(server, mark) if e.get("event") == "request"))
    assert len(pids(server, mark, event="request", **match)) >= 2
    return results


def test_a_logout_on_one_worker_is_honoured_by_all_on_the_very_next_request(four):
    server, _redis = four
    browser, cookie = signed_in(server)
    assert [home(server, cookie) for _ in range(20)] == [200] * 20
    mark = len(server.output())
    assert logout(server, browser) == 303
    replays = spread(server, mark, lambda: home(server, cookie), 200, path="/")
    assert replays.count(200) == 0 and replays.count(303) == len(replays) >= 200


def test_one_failure_blocks_the_client_on_every_worker(four):
    server, _redis = four
    assert attempt(server, "a wrong guess", "198.51.100.20").status_code == 401
    mark = len(server.output())
    blocked = spread(server, mark, lambda: attempt(server, PASSWORD, "198.51.100.20"), 50, path="/login", status=429)
    assert {r.status_code for r in blocked} == {429} and len(blocked) >= 50
    assert all(BACKOFF - 30 <= int(r.headers["Retry-After"]) <= BACKOFF for r in blocked)

    response = attempt(server, PASSWORD, "203.0.113.31")  # a browser that signed in before has a device cookie
    device = response.cookies.get("gatehouse_device")
    assert response.status_code == 303 and device
    assert attempt(server, "a wrong guess", "203.0.113.31", device).status_code == 401
    judged = [attempt(server, PASSWORD, "203.0.113.31", device).status_code for _ in range(50)]
    assert judged == [429] * 50  # ... and the device's own failure blocks it on every worker,
    assert attempt(server, PASSWORD, "203.0.113.31").status_code == 303  # not its address


def test_redis_stopped_mid_run_and_started_again(four):
    server, redis_server = four
    mark = len(server.output())
    _browser, cookie = signed_in(server)
    redis_server.stop()
    assert [home(server, cookie) for _ in range(40)] == [200] * 40  # sessions: from the database
    refused = [attempt(server, PASSWORD, f"192.0.2.{n}") for n in range(12)]
    assert [(r.status_code, r.headers.get("Retry-After")) for r in refused] == [(503, "5")] * 12  # fails closed
    assert not any(r.cookies.get("gatehouse_session") for r in refused)

    redis_server.start()
    time.sleep(1.3)  # each worker tries Redis again a second after its last failure
    assert [attempt(server, PASSWORD, f"192.0.2.{n}").status_code for n in range(12)] == [303] * 12
    assert [home(server, cookie) for _ in range(20)] == [200] * 20
    assert attempt(server, "a wrong guess", "192.0.2.99").status_code == 401
    assert attempt(server, PASSWORD, "192.0.2.99").status_code == 429  # counting again
    log = entries(server, mark)
    assert not [e for e in log if e.get("event") == "request" and e["status"] >= 500 and e["status"] != 503]
    down = [e["pid"] for e in log if e.get("event") == "limiter_unavailable"]
    assert down and len(down) == len(set(down))  # one warning per worker that noticed, not per request
    assert pids(server, mark, event="limiter_recovered")
