"""The one way Gatehouse keeps things in memory: a bounded map, least recently used out first.

Every kept thing (rendered pages, prepared answers, fixed links, summaries) is bounded,
because its keys may come from visitors (a return address, a path). cachetools' LRUCache
does the bookkeeping; this adds the lock that threads sharing one cache need, `get_or_make`,
and, for things that go stale, a deadline kept with each entry (an entry past it is gone:
not returned, not counted, dropped when met). cachetools' TTLCache did that with a timer
context and a linked list of deadlines, three times the cost of the lookup itself on the
home page's path (docs/performance.md). The session cache's memory backend keeps
its own map (app/cache/memory.py): it also needs tombstones and a generation, so a revoked
session cannot be written back.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Hashable, TypeVar

from cachetools import LRUCache

V = TypeVar("V")


class BoundedCache:
    """At most `maxsize` entries; with `ttl` (seconds), each also lives at most that long."""

    def __init__(self, maxsize: int, ttl: float | None = None, timer: Callable[[], float] = time.monotonic) -> None:
        self.maxsize = maxsize
        self._ttl, self._timer = ttl, timer
        self._entries = LRUCache(maxsize)  # with a ttl: key -> (deadline, value)
        self._lock = threading.Lock()

    def get(self, key: Hashable, default=None):
        with self._lock:
            found = self._entries.get(key, _MISSING)
            if found is _MISSING or self._ttl is None:
                return default if found is _MISSING else found
            if found[0] > self._timer():
                return found[1]
            del self._entries[key]
            return default

    def put(self, key: Hashable, value) -> None:
        with self._lock:
            self._entries[key] = value if self._ttl is None else (self._timer() + self._ttl, value)

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
            found = self._entries.pop(key, _MISSING)
        if found is _MISSING or self._ttl is None:
            return default if found is _MISSING else found
        return found[1] if found[0] > self._timer() else default

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def keys(self) -> list:
        """A snapshot of the keys (of live entries), least recently used first."""
        with self._lock:
            if self._ttl is None:
                return list(self._entries.keys())
            now = self._timer()
            return [key for key, (deadline, _value) in self._entries.items() if deadline > now]

    def __len__(self) -> int:
        if self._ttl is None:
            with self._lock:
                return len(self._entries)
        return len(self.keys())


_MISSING = object()
