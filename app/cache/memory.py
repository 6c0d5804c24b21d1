"""In-process cache: a bounded LRU map with per-entry deadlines, safe across threads."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from app.cache.base import CachedSession


class MemoryCache:
    def __init__(self, max_entries: int) -> None:
        self._max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, CachedSession]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> CachedSession | None:
        with self._lock:
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
        with self._lock:
            self._entries[key] = (time.monotonic() + ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def invalidate(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
