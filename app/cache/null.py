"""The `none` backend: every validation goes to the database."""

from __future__ import annotations

from app.cache.base import CachedSession


class NullCache:
    def get(self, key: str) -> CachedSession | None:
        return None

    def set(self, key: str, value: CachedSession, ttl: float) -> None:
        return None

    def invalidate(self, key: str) -> None:
        return None

    def clear(self) -> None:
        return None
