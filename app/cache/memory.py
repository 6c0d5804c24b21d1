"""In-process cache: a bounded LRU map with per-entry deadlines, safe across threads.

Like the Redis backend, it closes the cache-aside race in which a request that read a
session row just before a revoke writes it back just after: `invalidate` leaves a
tombstone that `set` will not overwrite (for `tombstone_seconds`, far longer than one
request), and `clear` bumps a generation, so a `set` from a thread whose last `get` saw an
older generation is dropped.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from app.cache.base import CachedSession


class MemoryCache:
    def __init__(self, max_entries: int, tombstone_seconds: float = 60) -> None:
        self._max_entries = max_entries
        self._tombstone_seconds = max(tombstone_seconds, 1)
        self._entries: OrderedDict[str, tuple[float, CachedSession]] = OrderedDict()
        self._tombstones: OrderedDict[str, float] = OrderedDict()
        self._generation = 0
        self._seen = threading.local()  # the generation this thread's last get() saw
        self._lock = threading.Lock()

    def get(self, key: str) -> CachedSession | None:
        with self._lock:
            self._seen.generation = self._generation
            item = self._entries.get(key)
            if item is None:
                return None
            if item[0] <= time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return item[1]

    def set(self, key: str, value: CachedSession, ttl: float) -> None:
        if ttl <= 0:
            return
        now = time.monotonic()
        with self._lock:
            if getattr(self._seen, "generation", self._generation) != self._generation:
                return  # cleared since this thread read the database
            if self._tombstones.get(key, 0) > now:
                return  # revoked since this thread read the database
            self._entries[key] = (now + ttl, value)
            self._entries.move_to_end(key)
            _trim(self._entries, self._max_entries)

    def invalidate(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)
            self._tombstones[key] = time.monotonic() + self._tombstone_seconds
            self._tombstones.move_to_end(key)
            _trim(self._tombstones, self._max_entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._generation += 1

    def __len__(self) -> int:
        return len(self._entries)


def _trim(entries: OrderedDict, max_entries: int) -> None:
    while len(entries) > max_entries:
        entries.popitem(last=False)
