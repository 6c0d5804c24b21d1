"""The pure rules and the bounded tracker, without HTTP."""

from __future__ import annotations

import pytest

from app.config import ConfigError
from app.ratelimit.policy import Policy, Record, after_failure, banned, faded, wait_seconds
from app.ratelimit.tracker import Tracker

POLICY = Policy(backoff=(0.5, 1, 2, 4, 5), ban_after=10, ban_seconds=900, global_count=3, global_window=60)


def test_wait_seconds_rounds_up_and_is_at_least_one():
    assert wait_seconds(100.0, 100.0) == 0
    assert wait_seconds(100.01, 100.0) == 1
    assert wait_seconds(102.0, 100.0) == 2
    assert wait_seconds(102.2, 100.0) == 3
    assert wait_seconds(99.0, 100.0) == 0


def test_backoff_then_ban_then_fade():
    record, waits = None, []
    for n in range(10):
        record = after_failure(POLICY, record, now=n * 10.0)
        waits.append(record.blocked_until - record.last_failure)
    assert waits == [0.5, 1, 2, 4, 5, 5, 5, 5, 5, 900]
    assert banned(POLICY, record, 90.0) and not banned(POLICY, record, 990.0)
    assert not faded(POLICY, record, 989.0) and faded(POLICY, record, 990.0)
    assert after_failure(POLICY, record, 990.0).failures == 1  # faded: starts over


def test_exemption_keeps_a_record_alive():
    record = Record(exempt_until=1000.0)
    assert not faded(POLICY, record, 999.0) and faded(POLICY, record, 1000.0)
    assert after_failure(POLICY, record, 10.0).exempt_until == 1000.0


def test_tracker_evicts_least_recently_used():
    tracker = Tracker(POLICY, max_clients=2)
    tracker.put("a", Record(1, 0.0, 10.0))
    tracker.put("b", Record(1, 0.0, 10.0))
    tracker.get("a", 1.0)  # a is now the most recent
    assert tracker.put("c", Record(1, 0.0, 10.0)) == ["b"]
    assert set(tracker.records) == {"a", "c"}


def test_global_window_slides_and_counts_checks_in_flight():
    tracker = Tracker(POLICY, max_clients=10)
    for at in (0.0, 10.0):
        tracker.failures.append(at)
    assert tracker.global_wait_until(20.0) == 20.0  # one place left
    tracker.pending = 1  # taken by a check in flight
    assert tracker.global_wait_until(20.0) == 60.0  # the failure at t=0 leaves at t=60
    tracker.pending = 0
    tracker.failures.append(20.0)
    assert tracker.global_wait_until(59.0) == 60.0
    assert tracker.global_wait_until(60.0) == 60.0 and len(tracker.failures) == 2


@pytest.mark.parametrize("overrides, name", [
    ({"GATEHOUSE_LOGIN_MAX_CLIENTS": 0}, "GATEHOUSE_LOGIN_MAX_CLIENTS"),
    ({"GATEHOUSE_LOGIN_BACKOFF": ()}, "GATEHOUSE_LOGIN_BACKOFF"),
    ({"GATEHOUSE_LOGIN_BAN": (0, 900)}, "GATEHOUSE_LOGIN_BAN"),
    ({"GATEHOUSE_LOGIN_GLOBAL": (100, 0)}, "GATEHOUSE_LOGIN_GLOBAL"),
])
@pytest.mark.limiter_stores("memory")  # refused before any store is built
def test_init_app_refuses_bad_settings(make_app, overrides, name):
    with pytest.raises(ConfigError, match=name):
        make_app(**overrides)
