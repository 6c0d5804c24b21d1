"""The throttle every process shares (docs/notifications.md): with several workers or instances
on Redis (app/runtime/workers.py `state_is_shared`), at most one message per kind per 10 minutes
is still one message, not one per process.

Each process first throttles on its own (app/notify/sender.py, no I/O in the request); what it
would send is then claimed here, by the sender's thread, never by a request: a stalled Redis
delays a notification, never a sign-in. An unreachable Redis lets the message go (told twice
rather than not told) and logs why.
"""

from __future__ import annotations

import logging

log = logging.getLogger("gatehouse.notify")


class SharedThrottle:
    """`claim` a kind in Redis: the first process within `seconds` sends, the others count as held."""

    def __init__(self, client, prefix: str, seconds: float) -> None:
        self.client = client
        self.prefix = prefix + "notify:"
        self.window_ms = int(seconds * 1000)

    def claim(self, kind: str) -> int | None:
        """None: another process sent a message of `kind` within the window (this one is counted
        as held back). Otherwise this process sends, and the number is how many messages of
        `kind` other processes held back since the last one was sent."""
        import redis  # redis-py is an optional dependency: only imported when Redis is configured

        sent, held = f"{self.prefix}sent:{kind}", f"{self.prefix}held:{kind}"
        try:
            if self.client.set(sent, "1", nx=True, px=self.window_ms):
                return int(self.client.getdel(held) or 0)
            with self.client.pipeline() as pipe:
                pipe.incr(held).pexpire(held, 2 * self.window_ms).execute()
            return None
        except redis.RedisError as exc:
            log.warning("notification throttle unreachable, sending anyway: %s (%s)", kind, type(exc).__name__,
                        extra={"event": "notify_throttle_unreachable", "kind": kind})
            return 0
