"""The one way Gatehouse keeps things in memory: a bounded map, least recently used out first.

Every kept thing (rendered pages, prepared answers, fixed links, summaries) is bounded,
because its keys may come from visitors (a return address, a path). cachetools' LRUCache
(and TTLCache, for things that go stale) does the bookkeeping; this adds the lock that
threads sharing one cache need, and `get_or_make`. The session cache's memory backend keeps
its own map (app/cache/memory.py): it also needs tombstones and a generation, so a revoked
session cannot be written back.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Hashable, TypeVar

from cachetools import LRUCache, TTLCache

V = TypeVar("V")


class BoundedCache:
    """At most `maxsize` entries; with `ttl` (seconds), each also lives at most that long."""

    def __init__(self, maxsize: int, ttl: float | None = None, timer: Callable[[], float] = time.monotonic) -> None:
        self.maxsize = maxsize
        self._entries = LRUCache(maxsize) if ttl is None else TTLCache(maxsize, ttl, timer=timer)
        self._lock = threading.Lock()

    def get(self, key: Hashable, default=None):
        with self._lock:
            return self._entries.get(key, default)

    def put(self, key: Hashable, value) -> None:
        with self._lock:
            self._entries[key] = value

    def get_or_make(self, key: Hashable, make: Callable[[], V]) -> V:
        """The kept value, or `make()` kept and returned (made outside the lock: two threads may
        both make it once; the last one is kept)."""
        found = self.get(key, _MISSING)
        if found is _MISSING:
            found = make()
            self.put(key, found)
        return found

    def pop(self, key: Hashable, default=None):
        with self._lock:
            return self._entries.pop(key, default)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def keys(self) -> list:
        """A snapshot of the keys, least recently used first."""
        with self._lock:
            return list(self._entries.keys())

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


_MISSING = object()
