"""What every cache backend offers, and what it stores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class CachedSession:
    """The facts needed to accept a request without asking the database."""

    id: int
    kind: str
    expires_at: datetime
    last_seen_at: datetime
    methods: tuple[str, ...] = ("password",)  # how it was signed in (app/services/login_sessions.py)
    authenticated_at: datetime | None = None  # when it last proved that; None: unknown (an old entry)
    remember: bool = False  # "keep me signed in": the longer lifetime and idle limit


class SessionCache(Protocol):
    """Keyed by token hash. After `invalidate(key)` a backend may refuse `set(key)` for a while
    (Redis does, for one TTL), so a request that read the row before a revoke cannot put it back."""

    def get(self, key: str) -> CachedSession | None: ...

    def set(self, key: str, value: CachedSession, ttl: float) -> None: ...

    def invalidate(self, key: str) -> None: ...

    def clear(self) -> None: ...
