"""The one bounded cache (app/bounded_cache.py): least recently used out first; with a ttl, an
entry lives that long and no longer."""

from __future__ import annotations

from app.bounded_cache import BoundedCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_least_recently_used_goes_first():
    cache = BoundedCache(2)
    cache.put("a", 1), cache.put("b", 2)
    assert cache.get("a") == 1  # "b" is now the least recently used
    cache.put("c", 3)
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3 and len(cache) == 2


def test_get_or_make_makes_once_and_pop_and_clear():
    cache, made = BoundedCache(4), []
    for _ in range(3):
        assert cache.get_or_make("k", lambda: made.append(1) or "v") == "v"
    assert made == [1]
    assert cache.pop("k") == "v" and cache.pop("k", "gone") == "gone"
    cache.put("x", None)  # None is a value like any other
    assert cache.get("x", "default") is None
    cache.clear()
    assert len(cache) == 0 and cache.keys() == []


def test_an_entry_lives_its_ttl_and_no_longer():
    clock = Clock()
    cache = BoundedCache(10, ttl=10.0, timer=clock)
    cache.put("a", 1)
    clock.now += 9.9
    assert cache.get("a") == 1 and len(cache) == 1 and cache.keys() == ["a"]
    clock.now += 0.1
    assert cache.get("a") is None and cache.get("a", "d") == "d"
    assert len(cache) == 0 and cache.keys() == []
    cache.put("b", 2)
    clock.now += 10.0
    assert cache.pop("b", "expired") == "expired"
    made = []
    assert cache.get_or_make("c", lambda: made.append(1) or 3) == 3
    clock.now += 11.0
    assert cache.get_or_make("c", lambda: made.append(1) or 4) == 4 and made == [1, 1]  # made again once stale


def test_a_ttl_cache_stays_bounded():
    clock = Clock()
    cache = BoundedCache(3, ttl=60.0, timer=clock)
    for n in range(10):
        cache.put(n, n)
    assert len(cache) == 3 and cache.keys() == [7, 8, 9]
    assert [cache.get(n) for n in range(10)] == [None] * 7 + [7, 8, 9]
