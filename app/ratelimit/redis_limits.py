"""The limiter's state in Redis, for several workers and instances (see app/ratelimit/limits.py).

Keys, under `<GATEHOUSE_REDIS_PREFIX>limit:` (apart from the session cache's `…session:`):

- `rec:ip:<address or /64>` and `rec:device:<nonce>`: a client's record (hash), with a TTL
  until it would fade (at least 15 minutes, longer while blocked or exempt);
- `busy:<same key>`: the client's one password check in flight (`SET NX PX`): made for HOLD_MS,
  held up to RESERVE_MS once the client confirms it has the answer (a second round trip), so
  a script Redis runs after the client gave up (a stall) frees the client within HOLD_MS;
- `global`: a sorted set of untrusted failure times (the sliding window), at most the
  budget's count, TTL one window; `pending`: untrusted checks in flight, each expiring.

No raw token and no cookie value is stored: addresses, and the random nonce a device cookie
signs. Every judgement and update is one Lua script (app/ratelimit/redis_scripts.py), so
concurrent workers never lose a failure nor both pass the one-check-per-client rule.

Fails closed: while Redis is unreachable, `judge` raises `LimiterUnavailable` (503 with
Retry-After) and no password is checked; one warning per process and outage, then Redis is
tried again every second, and service resumes by itself.
"""

from __future__ import annotations

import secrets

import redis
from werkzeug.exceptions import ServiceUnavailable

from app.cache.outage import Outage
from app.ratelimit import redis_scripts
from app.ratelimit.policy import Policy, Record, wait_seconds
from app.ratelimit.tracker import Attempt

RESERVE_MS = 30_000  # gunicorn's timeout: a check in flight never holds its client's place longer
HOLD_MS = 1_000  # until confirmed: twice the client's socket timeout (app/redis_client.py)
RETRY_AFTER = 5
_DOWN = object()


class LimiterUnavailable(ServiceUnavailable):
    description = "Sign-in is unavailable for a moment; try again shortly."

    def __init__(self) -> None:
        super().__init__(retry_after=RETRY_AFTER)


class RedisLimits:
    def __init__(self, client: redis.Redis, prefix: str, policy: Policy, retry_seconds: float = 1.0) -> None:
        self.client = client
        self.prefix = prefix + "limit:"
        self.policy = policy
        self._global, self._pending = self.prefix + "global", self.prefix + "pending"
        self._judge = client.register_script(redis_scripts.JUDGE)
        self._settle = client.register_script(redis_scripts.SETTLE)
        self._release = client.register_script(redis_scripts.RELEASE)
        self._confirm = client.register_script(redis_scripts.CONFIRM)
        self.outage = Outage(lambda: None, retry_seconds, event="limiter", resumed="login limiter resumed",
                             meanwhile="password checks are refused (503) until it returns")

    def _keys(self, key: str) -> list[str]:
        return [f"{self.prefix}rec:{key}", f"{self.prefix}busy:{key}"]

    def judge(self, ip_key: str, device_key: str | None, now: float) -> tuple[Attempt, int]:
        p, attempt_id = self.policy, secrets.token_hex(8)
        keys = [*self._keys(device_key or ip_key), *self._keys(ip_key), self._global, self._pending]
        args = [repr(now), p.fade_seconds, int(device_key is not None), p.ban_after, p.global_count,
                p.global_window, HOLD_MS, attempt_id, RESERVE_MS]
        result = self.outage.run(lambda: self._judge(keys=keys, args=args), _DOWN)
        if result is _DOWN:
            raise LimiterUnavailable()
        trusted, counts_global, reserved, until = result
        attempt = Attempt((device_key if trusted else ip_key,), trusted=bool(trusted),
                          counts_global=bool(counts_global), id=attempt_id)
        if reserved:
            self._hold(attempt, now)
        return attempt, wait_seconds(float(until), now) or (0 if reserved else 1)

    def _hold(self, attempt: Attempt, now: float) -> None:
        """Confirm the reservation JUDGE made for HOLD_MS, for the check to come.
        :raise LimiterUnavailable: Redis went away meanwhile (the reservation lapses by itself)."""
        keys = [self._keys(attempt.keys[0])[1], self._pending]
        args = [repr(now), self.policy.fade_seconds, attempt.id, RESERVE_MS]
        if self.outage.run(lambda: self._confirm(keys=keys, args=args), 0) != 1:
            raise LimiterUnavailable()

    def settle(self, attempt: Attempt, success: bool, now: float) -> int:
        """A failure that cannot be recorded (Redis just went away) is lost, but the next
        attempt is refused until Redis is back, so it buys no unlimited guessing."""
        p = self.policy
        keys = [*self._keys(attempt.keys[0]), self._global, self._pending]
        args = [repr(now), p.fade_seconds, int(success), int(attempt.counts_global), attempt.id,
                p.ban_after, p.ban_seconds, p.global_count, p.global_window, *map(repr, p.backoff)]
        return int(self.outage.run(lambda: self._settle(keys=keys, args=args), 0))

    def release(self, attempt: Attempt) -> None:
        keys = [self._keys(attempt.keys[0])[1], self._pending]
        self.outage.run(lambda: self._release(keys=keys, args=[0, 0, attempt.id]), None)  # else its TTL frees it

    def budget_wait(self, now: float) -> int:
        """Read after a counted failure; Redis away: 0 (no notification is worth failing a sign-in)."""
        window, count = self.policy.global_window, self.policy.global_count

        def read():
            with self.client.pipeline(transaction=False) as pipe:
                pipe.zcount(self._global, f"({now - window!r}", "+inf")
                pipe.zrangebyscore(self._global, f"({now - window!r}", "+inf", start=0, num=1, withscores=True)
                return pipe.execute()

        found = self.outage.run(read, None)
        if not found or found[0] < count or not found[1]:
            return 0
        return wait_seconds(found[1][0][1] + window, now)

    def clients(self, now: float) -> int:
        """Records expire when they fade, so the count is their keys'. SCAN walks the whole
        keyspace in small steps (never blocking Redis); the metrics sampler calls this every few
        seconds from one process only."""
        pattern = _glob_escape(self.prefix) + "rec:*"
        return sum(1 for _ in self.client.scan_iter(match=pattern, count=1000))

    def unblock(self, ip_key: str | None, now: float) -> Record | None:
        """For `gatehouse unblock`: takes effect on every worker at once (no refresh needed).
        Returns the address's record before (None: it had none, or everything was cleared)."""
        try:
            if ip_key is None:
                found = list(self.client.scan_iter(match=self.prefix + "*", count=500))
                for start in range(0, len(found), 500):
                    self.client.delete(*found[start:start + 500])
                return None
            record, until = self._keys(ip_key)[0], now + self.policy.fade_seconds
            with self.client.pipeline(transaction=True) as pipe:
                pipe.hgetall(record)
                pipe.delete(record)
                pipe.hset(record, mapping={"f": 0, "l": 0, "u": 0, "x": repr(until)})
                pipe.expire(record, self.policy.fade_seconds)
                before = pipe.execute()[0]
        except (redis.RedisError, OSError):
            raise LimiterUnavailable() from None
        if not before:
            return None
        field = lambda name: float(before.get(name.encode(), before.get(name, 0)) or 0)  # noqa: E731
        return Record(int(field("f")), field("l"), field("u"), field("x"))


def _glob_escape(text: str) -> str:
    """`text` as a literal in a Redis MATCH pattern (a prefix may hold `*`, `?`, `[`)."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)
