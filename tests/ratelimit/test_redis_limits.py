"""The limiter's Redis store on its own: atomic under concurrent workers, TTLs on every key, fails closed."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from app.redis_client import connect
from app.ratelimit.policy import Policy
from app.ratelimit.redis_limits import RESERVE_MS, LimiterUnavailable, RedisLimits
from app.ratelimit.tracker import Attempt
from tests.support.ratelimit import START

POLICY = Policy(backoff=(0.5, 1.0), ban_after=5, ban_seconds=3600, global_count=100, global_window=600)
IP = "ip:203.0.113.5"


@pytest.fixture
def limits(redis_url, redis_prefix):
    return RedisLimits(connect(redis_url), redis_prefix, POLICY)


def at_once(count: int, work) -> list:
    """Run `work(i)` in `count` threads released together; their results in thread order."""
    barrier, results = threading.Barrier(count), [None] * count

    def run(i):
        barrier.wait()
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def failure(limits, key=IP, now=START, n=0):
    return limits.settle(Attempt((key,), trusted=False, counts_global=True, id=f"t{n}"), False, now)


def test_parallel_failures_are_all_counted(limits):
    counts = at_once(24, lambda i: failure(limits, n=i))
    assert sorted(counts) == list(range(1, 25))  # each saw a distinct count: no lost update
    assert limits.client.hget(limits.prefix + "rec:" + IP, "f") == "24"
    assert limits.client.zcard(limits.prefix + "global") == 24


def test_parallel_attempts_from_one_client_reserve_one_check(limits):
    results = at_once(16, lambda i: limits.judge(IP, None, START))
    let_through = [attempt for attempt, wait in results if wait == 0]
    assert len(let_through) == 1 and {wait for _, wait in results} == {0, 1}
    limits.release(let_through[0])
    assert limits.judge(IP, None, START)[1] == 0  # free again once released


def test_parallel_attempts_never_overdraw_the_global_budget(redis_url, redis_prefix):
    limits = RedisLimits(connect(redis_url), redis_prefix, Policy((0.5,), 5, 60, global_count=3, global_window=600))
    results = at_once(12, lambda i: limits.judge(f"ip:198.51.100.{i}", None, START))
    assert sum(wait == 0 for _, wait in results) == 3  # checks in flight hold their place in the budget


def test_every_key_expires(limits):
    attempt, wait = limits.judge(IP, None, START)
    assert wait == 0
    busy, pending = limits.client.pttl(limits.prefix + "busy:" + IP), limits.client.pttl(limits.prefix + "pending")
    assert 0 < busy <= RESERVE_MS and 0 < pending <= RESERVE_MS
    limits.settle(attempt, False, START)
    assert limits.client.exists(limits.prefix + "busy:" + IP) == 0  # released by the outcome
    assert 899_000 < limits.client.pttl(limits.prefix + "rec:" + IP) <= 900_000  # until the count fades
    assert 0 < limits.client.pttl(limits.prefix + "global") <= 600_000  # one window
    for n in range(1, 5):
        failure(limits, now=START + n, n=n)  # the fifth failure: banned for an hour
    assert 3_599_000 < limits.client.pttl(limits.prefix + "rec:" + IP) <= 3_600_000
    keys = list(limits.client.scan_iter(match=limits.prefix.rsplit("limit:", 1)[0] + "*"))
    assert keys and all(k.startswith(limits.prefix) and limits.client.pttl(k) > 0 for k in keys)


def test_success_clears_the_count_and_unblock_exempts_one_address(limits):
    failure(limits)
    assert limits.judge(IP, None, START + 0.1)[1] == 1
    limits.unblock(IP, START + 0.1)
    attempt, wait = limits.judge(IP, None, START + 0.1)
    assert wait == 0 and not attempt.counts_global  # exempt from the budget for 15 minutes
    assert limits.settle(attempt, True, START + 0.2) == 0
    limits.unblock(None, START)
    assert list(limits.client.scan_iter(match=limits.prefix + "*")) == []


def test_unreachable_redis_refuses_checks_once_logged_and_resumes(redis_server, caplog):
    limits = RedisLimits(connect(redis_server.url), "gatehouse:", POLICY, retry_seconds=0.3)
    assert limits.judge(IP, None, START)[1] == 0
    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="gatehouse"):
        for _ in range(5):
            with pytest.raises(LimiterUnavailable) as refused:
                limits.judge("ip:192.0.2.1", None, START)
    assert refused.value.code == 503 and refused.value.get_headers()[-1] == ("Retry-After", "5")
    assert [r.event for r in caplog.records] == ["limiter_unavailable"]  # once, not per request
    redis_server.start()
    time.sleep(0.4)
    assert limits.judge("ip:192.0.2.1", None, START)[1] == 0
