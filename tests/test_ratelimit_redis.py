"""The limiter's HTTP scenarios again, with its state in Redis (GATEHOUSE_CACHE=redis + GATEHOUSE_REDIS_URL).

The scenarios of the in-process tests are imported and collected here a second time, with
`make_app` (and so `app`, `client`) building apps whose limiter judges from Redis: the same
rules must hold on either store. Below them, what only shared state can do.
"""

from __future__ import annotations

import pytest

from app.ratelimit.redis_limits import RedisLimits
from tests.test_ratelimit import *  # noqa: F401,F403
from tests.test_ratelimit_api import (  # noqa: F401
    test_blocked_api_client_gets_json_429, test_form_and_api_share_the_address_count,
    test_no_free_check_slot_is_503_with_retry_after_and_counts_nothing,
)
from tests.test_ratelimit_devices import *  # noqa: F401,F403
from tests.test_ratelimit_state import (  # noqa: F401
    test_blocks_survive_a_restart, test_setup_code_guesses_are_limited,
    test_unblock_all_from_another_process_reaches_the_running_server,
    test_unblock_one_address_also_lets_it_past_the_global_budget,
    test_unblock_says_whether_the_address_was_blocked,
)
from tests.conftest import PASSWORD
from tests.ratelimit_helpers import Browser, retry_after, with_clock


@pytest.fixture
def make_app(make_app, redis_url, redis_prefix):
    """Every app of a test shares one Redis prefix: several workers of one deployment."""

    def build(**overrides):
        shared = {"GATEHOUSE_CACHE": "redis", "GATEHOUSE_REDIS_URL": redis_url, "GATEHOUSE_REDIS_PREFIX": redis_prefix}
        return make_app(**{**shared, **overrides})

    return build


@pytest.fixture
def two_workers(make_app):
    apps = [make_app(), make_app()]
    with apps[0].app_context():
        from app.services import master_password

        master_password.set_first(PASSWORD)
    return apps, [with_clock(a) for a in apps]


def test_the_scenarios_above_run_on_redis(app, redis_prefix):
    limits = app.extensions["gatehouse.limiter"].limits
    assert isinstance(limits, RedisLimits) and limits.prefix == redis_prefix + "limit:"


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
