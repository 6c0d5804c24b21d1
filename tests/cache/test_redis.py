"""The Redis session cache against a real Redis: keys, TTLs, clear, tombstones, outages."""

import json
import logging
import time
from datetime import datetime, timezone

import pytest

from app.cache.base import CachedSession
from app.cache.redis import RedisCache
from app.redis_client import connect
from tests.e2e.server import free_port

KEY = "ab" * 32  # what login_sessions.validate passes: a SHA-256 hex digest
ENTRY = CachedSession(
    7, "browser", datetime(2030, 1, 1, 12, 0, 0, 123456, tzinfo=timezone.utc),
    datetime(2026, 1, 1, 8, 30, 0, 654321, tzinfo=timezone.utc), ("password", "code"),
    datetime(2026, 1, 1, 8, 0, 0, 111111, tzinfo=timezone.utc), True,
)


@pytest.fixture
def cache(redis_url, redis_prefix):
    return RedisCache(connect(redis_url), redis_prefix, tombstone_seconds=5)


@pytest.fixture
def raw(redis_url):
    return connect(redis_url)


@pytest.fixture
def records():
    """Everything the `gatehouse` logger says during the test."""
    seen = []
    handler = logging.Handler()
    handler.emit = seen.append
    logger = logging.getLogger("gatehouse")
    level, logger.level = logger.level, logging.INFO
    logger.addHandler(handler)
    yield seen
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_get_set_invalidate_clear_round_trip_exactly(cache):
    cache.set(KEY, ENTRY, 60)
    assert cache.get(KEY) == ENTRY  # microseconds and time zone survive
    cache.invalidate(KEY)
    assert cache.get(KEY) is None
    cache.set("cd" * 32, ENTRY, 60)
    cache.clear()
    assert cache.get("cd" * 32) is None


def test_key_is_the_hash_under_the_prefix_with_compact_json_and_a_ttl(cache, raw, redis_prefix):
    cache.set(KEY, ENTRY, 30)
    name = f"{redis_prefix}session:{KEY}"
    text = raw.get(name)
    assert json.loads(text)[1:] == [7, "browser", 1893499200123456, 1767256200654321, ["password", "code"],
                                    1767254400111111, True]
    assert " " not in text and 29_000 < raw.pttl(name) <= 30_000


def test_entries_expire_by_ttl(cache):
    cache.set(KEY, ENTRY, 0.1)
    assert cache.get(KEY) == ENTRY
    time.sleep(0.2)
    assert cache.get(KEY) is None


def test_zero_ttl_stores_nothing(cache, raw, redis_prefix):
    cache.set(KEY, ENTRY, 0)
    assert raw.exists(f"{redis_prefix}session:{KEY}") == 0


def test_clear_is_one_counter_bump_and_spares_other_keys(cache, raw, redis_prefix):
    raw.set(redis_prefix + "other", "kept")
    cache.set(KEY, ENTRY, 60)
    cache.clear()
    assert raw.get(f"{redis_prefix}session:generation") == "1"
    assert raw.get(redis_prefix + "other") == "kept"
    assert cache.get(KEY) is None
    cache.set(KEY, ENTRY, 60)  # written under the new generation: served again
    assert cache.get(KEY) == ENTRY


def test_a_write_after_invalidate_cannot_resurrect_the_session(cache, raw, redis_prefix):
    """A request read the row just before the revoke and writes it back just after."""
    assert cache.get(KEY) is None
    cache.invalidate(KEY)
    cache.set(KEY, ENTRY, 60)
    assert cache.get(KEY) is None
    assert 0 < raw.pttl(f"{redis_prefix}session:{KEY}") <= 5000  # the tombstone itself expires


def test_a_write_after_clear_from_a_read_before_it_is_ignored(cache):
    assert cache.get(KEY) is None  # this request saw generation 0 and goes to the database
    cache.clear()  # meanwhile: revoke all
    cache.set(KEY, ENTRY, 60)  # the stale row is written back ...
    assert cache.get(KEY) is None  # ... under the old generation, so it is not served


def test_both_writes_of_a_validation_keep_the_generation_read_before_it(cache):
    """validate: get (miss), set (read-through), touch in the database, set again. A clear()
    (a password change) between the touch and the second set must win."""
    assert cache.get(KEY) is None
    cache.set(KEY, ENTRY, 60)
    cache.clear()
    cache.set(KEY, ENTRY, 60)
    assert cache.get(KEY) is None


def test_foreign_or_damaged_values_are_misses(cache, raw, redis_prefix):
    raw.set(f"{redis_prefix}session:{KEY}", "not json")
    assert cache.get(KEY) is None
    raw.set(f"{redis_prefix}session:{KEY}", "[0, 1]")
    assert cache.get(KEY) is None
    raw.set(f"{redis_prefix}session:{KEY}", "[0, 1, \"browser\", 1e300, 0]")
    assert cache.get(KEY) is None


def test_unreachable_redis_falls_back_fast_and_warns_once(records):
    cache = RedisCache(connect(f"redis://127.0.0.1:{free_port()}/0"), "x:", retry_seconds=60)
    started = time.monotonic()
    for _ in range(50):
        assert cache.get(KEY) is None
        cache.set(KEY, ENTRY, 60)
        cache.invalidate(KEY)
        cache.clear()
    assert time.monotonic() - started < 2
    warnings = [r for r in records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and warnings[0].event == "cache_unavailable"
    assert cache.outage.down


def test_stopped_and_restarted_redis_is_used_again_without_restart(redis_server, records):
    cache = RedisCache(connect(redis_server.url), "t:", retry_seconds=0.2)
    cache.set(KEY, ENTRY, 60)
    assert cache.get(KEY) == ENTRY
    redis_server.stop()
    assert cache.get(KEY) is None and cache.outage.down
    cache.invalidate(KEY)  # lost: nobody to tell
    redis_server.start()
    time.sleep(0.3)
    assert cache.get(KEY) is None  # the probe bumps the generation, then reads
    assert not cache.outage.down
    cache.set(KEY, ENTRY, 60)
    assert cache.get(KEY) == ENTRY
    assert redis_server.client().get("t:session:generation") == "1"
    events = [getattr(r, "event", None) for r in records]
    assert events.count("cache_unavailable") == 1 and events.count("cache_recovered") == 1


def test_entries_from_before_an_outage_are_dropped_when_it_ends(redis_server):
    """Redis kept its data (a stall, not a restart): an invalidation lost meanwhile must not
    leave the revoked session servable from what was cached before."""
    cache = RedisCache(connect(redis_server.url), "t:", retry_seconds=0.1)
    cache.set(KEY, ENTRY, 60)
    redis_server.client().execute_command("CLIENT", "PAUSE", 1500)
    started = time.monotonic()
    cache.invalidate(KEY)  # times out: lost
    assert cache.outage.down and time.monotonic() - started < 1.0  # one 0.5 s timeout, not retried
    time.sleep(max(0, started + 1.6 - time.monotonic()))
    assert redis_server.client().exists("t:session:" + KEY) == 1  # the stale entry is still there
    assert cache.get(KEY) is None
    assert not cache.outage.down


def test_bad_redis_url_stops_start_up(make_app):
    from app.config import ConfigError

    with pytest.raises(ConfigError, match="GATEHOUSE_REDIS_URL"):
        make_app(GATEHOUSE_CACHE="redis", GATEHOUSE_REDIS_URL="http://example.invalid/")


def test_redis_backend_needs_a_url(make_app):
    from app.config import ConfigError

    with pytest.raises(ConfigError, match="GATEHOUSE_CACHE=redis needs GATEHOUSE_REDIS_URL"):
        make_app(GATEHOUSE_CACHE="redis", GATEHOUSE_REDIS_URL="")
