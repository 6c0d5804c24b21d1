"""Redis reachability, per process: fall back quietly while it is away, resume when it is back.

A shared cache that is down must never turn into 500s or hung requests. Every Redis call
goes through `Outage.run`: an error (connection refused, timeout, anything redis-py raises)
opens the breaker, logs ONE warning and returns the caller's fallback value. While open,
calls skip Redis entirely for `retry_seconds`, then one call probes again. The probe is
`on_recover` (the cache uses it to drop every entry written before the outage, since a
revocation may have been lost meanwhile); when it succeeds, service resumes and one info
line says so. No restart is needed.

The login limiter uses its own `Outage` (`event="limiter"`): there the fallback is a refusal.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, TypeVar

from redis.exceptions import RedisError

T = TypeVar("T")
log = logging.getLogger("gatehouse")


class Outage:
    def __init__(self, on_recover: Callable[[], object], retry_seconds: float = 1.0, name: str = "redis", *,
                 event: str = "cache", meanwhile: str = "sessions are checked against the database until it returns",
                 resumed: str = "shared session cache resumed") -> None:
        self._on_recover = on_recover
        self._retry_seconds = retry_seconds
        self._name = name
        self._event, self._meanwhile, self._resumed = event, meanwhile, resumed
        self._lock = threading.Lock()
        self._down = False
        self._retry_at = 0.0

    @property
    def down(self) -> bool:
        return self._down

    def run(self, operation: Callable[[], T], fallback: T) -> T:
        """`operation()`, or `fallback` if Redis is (or just went) unreachable."""
        with self._lock:
            probing = self._down
            if probing:
                if time.monotonic() < self._retry_at:
                    return fallback
                self._retry_at = time.monotonic() + self._retry_seconds  # one prober at a time
        try:
            if probing:
                self._on_recover()
            result = operation()
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return fallback
        if probing:
            self._recovered()
        return result

    def _failed(self, exc: Exception) -> None:
        with self._lock:
            first = not self._down
            self._down = True
            self._retry_at = time.monotonic() + self._retry_seconds
        if first:
            log.warning("%s unreachable, %s: %s", self._name, self._meanwhile, type(exc).__name__,
                        extra={"event": f"{self._event}_unavailable", "backend": self._name})

    def _recovered(self) -> None:
        with self._lock:
            was_down, self._down = self._down, False
        if was_down:
            log.info("%s reachable again, %s", self._name, self._resumed,
                     extra={"event": f"{self._event}_recovered", "backend": self._name})
