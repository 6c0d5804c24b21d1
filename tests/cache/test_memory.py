import threading
import time
from datetime import datetime, timezone

from app.cache.base import CachedSession
from app.cache.memory import MemoryCache
from app.cache.null import NullCache

ENTRY = CachedSession(1, "browser", datetime(2030, 1, 1, tzinfo=timezone.utc), datetime(2026, 1, 1, tzinfo=timezone.utc))


def test_memory_get_set_invalidate_clear():
    cache = MemoryCache(10)
    cache.set("a", ENTRY, 60)
    cache.set("b", ENTRY, 60)
    assert cache.get("a") == ENTRY
    cache.invalidate("a")
    assert cache.get("a") is None and cache.get("b") == ENTRY
    cache.clear()
    assert cache.get("b") is None


def test_memory_entries_expire():
    cache = MemoryCache(10)
    cache.set("a", ENTRY, 0.05)
    assert cache.get("a") == ENTRY
    time.sleep(0.08)
    assert cache.get("a") is None


def test_memory_zero_ttl_stores_nothing():
    cache = MemoryCache(10)
    cache.set("a", ENTRY, 0)
    assert cache.get("a") is None and len(cache) == 0


def test_memory_is_bounded_and_evicts_least_recently_used():
    cache = MemoryCache(3)
    for key in "abc":
        cache.set(key, ENTRY, 60)
    cache.get("a")  # a is now the most recent
    cache.set("d", ENTRY, 60)
    assert len(cache) == 3
    assert cache.get("b") is None and cache.get("a") == ENTRY and cache.get("d") == ENTRY


def test_memory_survives_concurrent_use():
    cache = MemoryCache(100)
    errors = []

    def hammer(n):
        try:
            for i in range(2000):
                key = f"{n}-{i % 150}"
                cache.set(key, ENTRY, 60)
                cache.get(key)
                if i % 7 == 0:
                    cache.invalidate(key)
        except Exception as exc:  # pragma: no cover - the assertion reports it
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(cache) <= 100


def test_null_cache_keeps_nothing():
    cache = NullCache()
    cache.set("a", ENTRY, 60)
    assert cache.get("a") is None


def test_memory_set_after_invalidate_is_refused():
    # A request read the row, then a revoke committed and invalidated: the late set must not revive it.
    cache = MemoryCache(10, tombstone_seconds=60)
    assert cache.get("a") is None
    cache.invalidate("a")
    cache.set("a", ENTRY, 60)
    assert cache.get("a") is None


def test_memory_set_after_clear_from_a_stale_reader_is_refused():
    cache = MemoryCache(10)
    assert cache.get("a") is None  # this thread reads the database...
    cache.clear()  # ...while "revoke all" commits and clears
    cache.set("a", ENTRY, 60)
    assert cache.get("a") is None
    cache.set("a", ENTRY, 60)  # a fresh read after the clear may cache again
    assert cache.get("a") == ENTRY


def test_memory_tombstones_are_bounded():
    cache = MemoryCache(5)
    for i in range(50):
        cache.invalidate(f"k{i}")
    assert len(cache._tombstones) == 5
