"""Shared session cache in Redis, so every worker and instance sees a logout at once.

Keys: `<prefix>session:<sha256 of the token>` (never the raw token) and one counter,
`<prefix>session:generation`. A value is compact JSON,
`[generation, id, kind, expires_us, last_seen_us]` (microseconds since the epoch), written
with `SET ... PX` so it never outlives the cache TTL.

- `clear()` is O(1): it increments the generation, and `get` (one MGET of counter and entry)
  ignores entries stamped with an older one; they expire by TTL. No SCAN over a shared Redis.
- `invalidate()` writes a short-lived tombstone instead of deleting, and `set` (a Lua
  script) refuses to overwrite it. This closes the cache-aside race in which a request that
  read the row just before a revoke writes it back just after.
- `set` stamps the generation the same thread saw in its last `get` (every `set` until the
  next `get`), so a request that read the database before a `clear()` cannot repopulate
  the cache after it.
- Redis errors never reach the request: see `app.cache.outage` (fallback to the database,
  one warning, and on recovery a generation bump that drops everything cached before the
  outage, because an invalidation may have been lost while Redis was away).
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone

import redis

from app.cache.base import CachedSession
from app.cache.outage import Outage

TOMBSTONE = "revoked"
_UNREACHED = object()  # this thread's last get() could not reach Redis
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SET_UNLESS_REVOKED = """
if redis.call('GET', KEYS[1]) == ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""


def _us(value: datetime) -> int:
    return (value - EPOCH) // timedelta(microseconds=1)


def _dt(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


class RedisCache:
    def __init__(self, client: redis.Redis, prefix: str = "gatehouse:", tombstone_seconds: float = 60,
                 retry_seconds: float = 1.0) -> None:
        self._client = client
        self._prefix = prefix + "session:"
        self._generation_key = self._prefix + "generation"
        self._tombstone_ms = max(1000, int(tombstone_seconds * 1000))
        self._set_script = client.register_script(_SET_UNLESS_REVOKED)
        self._seen = threading.local()
        self.outage = Outage(self._bump_generation, retry_seconds)

    def _key(self, key: str) -> str:
        return self._prefix + key

    def get(self, key: str) -> CachedSession | None:
        self._seen.generation = _UNREACHED
        return self.outage.run(lambda: self._get(key), None)

    def _get(self, key: str) -> CachedSession | None:
        generation, raw = self._client.mget(self._generation_key, self._key(key))
        self._seen.generation = int(generation or 0)
        if raw is None or raw == TOMBSTONE:
            return None
        try:
            stamp, id_, kind, expires_us, seen_us, methods, authenticated_us, remember = json.loads(raw)
            if stamp != self._seen.generation:
                return None
            return CachedSession(int(id_), str(kind), _dt(expires_us), _dt(seen_us), tuple(map(str, methods)),
                                 _dt(authenticated_us), bool(remember))
        except (ValueError, TypeError, OverflowError):  # not ours or damaged: a miss, the database decides
            return None

    def set(self, key: str, value: CachedSession, ttl: float) -> None:
        # Kept until this thread's next get(): both writes of one validation (the read-through
        # and the touch) carry the generation seen before the database was read, so a clear()
        # between them (a password change) cannot let the second write cache a revoked session.
        generation = getattr(self._seen, "generation", None)
        # After a get() that fell back to the database, do not write: the generation is unknown.
        if int(ttl * 1000) > 0 and generation is not _UNREACHED:
            self.outage.run(lambda: self._set(key, value, ttl, generation), None)

    def _set(self, key: str, value: CachedSession, ttl: float, generation: int | None) -> None:
        if generation is None:
            generation = int(self._client.get(self._generation_key) or 0)
        payload = [generation, value.id, value.kind, _us(value.expires_at), _us(value.last_seen_at),
                   list(value.methods), _us(value.authenticated_at or value.last_seen_at), value.remember]
        text = json.dumps(payload, separators=(",", ":"))
        self._set_script(keys=[self._key(key)], args=[text, int(ttl * 1000), TOMBSTONE])

    def invalidate(self, key: str) -> None:
        self.outage.run(lambda: self._client.set(self._key(key), TOMBSTONE, px=self._tombstone_ms), None)

    def clear(self) -> None:
        self.outage.run(self._bump_generation, None)

    def _bump_generation(self) -> int:
        return self._client.incr(self._generation_key)
