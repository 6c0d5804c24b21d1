"""What only a shared limiter store can do: several workers (apps on one Redis prefix) see one
state. The rules themselves run on both stores (tests/ratelimit/conftest.py)."""

from __future__ import annotations

import pytest

from tests.support.app import PASSWORD
from tests.support.ratelimit import Browser, retry_after, with_clock

pytestmark = pytest.mark.limiter_stores("redis")


@pytest.fixture
def two_workers(make_app):
    apps = [make_app(), make_app()]
    with apps[0].app_context():
        from app.services import master_password

        master_password.set_first(PASSWORD)
    return apps, [with_clock(a) for a in apps]


def test_a_failure_on_one_worker_blocks_the_client_on_the_other(two_workers):
    (one, two), _clocks = two_workers
    assert Browser(one).login(ip="198.51.100.7").status_code == 401
    blocked = Browser(two).login(PASSWORD, ip="198.51.100.7")
    assert blocked.status_code == 429 and retry_after(blocked) == 1
    assert Browser(two).login(PASSWORD, ip="198.51.100.8").status_code == 303  # another client is free


def test_a_device_is_judged_by_its_own_count_on_every_worker(two_workers):
    (one, two), _clocks = two_workers
    admin = Browser(one)
    assert admin.login(PASSWORD, ip="203.0.113.9").status_code == 303
    cookie = admin.device_cookie().value
    on_two = Browser(two)
    on_two.client.set_cookie("gatehouse_device", cookie)
    assert on_two.login(ip="203.0.113.9").status_code == 401  # the device fails on worker two ...
    again = Browser(one)
    again.client.set_cookie("gatehouse_device", cookie)
    assert again.login(PASSWORD, ip="203.0.113.9").status_code == 429  # ... and waits on worker one
    assert Browser(one).login(PASSWORD, ip="203.0.113.9").status_code == 303  # the address was never blocked


def test_redis_holds_no_cookie_or_token_values(two_workers, redis_url, redis_prefix):
    from app.redis_client import connect

    (one, _two), _clocks = two_workers
    admin = Browser(one)
    assert admin.login(PASSWORD, ip="203.0.113.9").status_code == 303
    secrets = [admin.client.get_cookie(name).value for name in ("gatehouse_device", "gatehouse_session")]
    assert admin.client.get("/").status_code == 200  # the session is cached in Redis
    admin.client.delete_cookie("gatehouse_session")
    assert admin.login(ip="203.0.113.9").status_code == 401  # and the device has a record
    client = connect(redis_url)
    stored = []
    for key in client.scan_iter(match=redis_prefix + "*"):
        kind = client.type(key)
        value = {"string": client.get, "hash": client.hgetall, "zset": lambda k: client.zrange(k, 0, -1)}[kind](key)
        stored.append(f"{key} {value}")
    text = "\n".join(stored)
    assert "limit:rec:device:" in text and "session:" in text
    for value in secrets:
        assert value not in text and value.split(".")[0] not in text  # neither the signed value nor its payload


def test_unblock_says_so_when_redis_is_unreachable(make_app):
    from tests.e2e.server import free_port

    app = make_app(GATEHOUSE_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    for args in (["unblock", "--all"], ["unblock", "192.0.2.1"]):
        result = app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 1 and "cannot reach Redis" in result.output and "Traceback" not in result.output
