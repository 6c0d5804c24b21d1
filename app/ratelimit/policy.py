"""The rules as pure functions of (record, now): backoff, ban tier, fading, the global window.

No Flask, no storage, no clock of its own: the limiter passes `now` (seconds since the
epoch from an injectable clock), which is what lets the tests move time instead of sleeping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from app.config import ConfigError

FADE_SECONDS = 900  # docs/security.md: counts fade after 15 minutes without a failure


@dataclass(frozen=True)
class Policy:
    backoff: tuple[float, ...]  # block after the 1st, 2nd, … consecutive failure; last repeats
    ban_after: int
    ban_seconds: int
    global_count: int  # failed checks allowed per sliding window across untrusted clients
    global_window: int
    fade_seconds: int = FADE_SECONDS

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Policy":
        backoff = tuple(config["GATEHOUSE_LOGIN_BACKOFF"])
        ban_after, ban_seconds = config["GATEHOUSE_LOGIN_BAN"]
        global_count, global_window = config["GATEHOUSE_LOGIN_GLOBAL"]
        if not backoff or any(d < 0 for d in backoff):
            raise ConfigError("GATEHOUSE_LOGIN_BACKOFF is invalid: must be a comma list of non-negative seconds")
        if ban_after < 1 or ban_seconds < 1:
            raise ConfigError("GATEHOUSE_LOGIN_BAN is invalid: must be COUNT/SECONDS with both at least 1")
        if global_count < 1 or global_window < 1:
            raise ConfigError("GATEHOUSE_LOGIN_GLOBAL is invalid: must be COUNT/SECONDS with both at least 1")
        return cls(backoff, ban_after, ban_seconds, global_count, global_window)


@dataclass(frozen=True)
class Record:
    """One client's (an address's or a device's) consecutive failures and current block."""

    failures: int = 0
    last_failure: float = 0.0
    blocked_until: float = 0.0
    exempt_until: float = 0.0  # `gatehouse unblock IP`: this address skips the global budget


def after_failure(policy: Policy, record: Record | None, now: float) -> Record:
    previous = 0 if record is None or faded(policy, record, now) else record.failures
    failures = previous + 1
    if failures >= policy.ban_after:
        until = now + policy.ban_seconds
    else:
        until = now + policy.backoff[min(failures, len(policy.backoff)) - 1]
    exempt = record.exempt_until if record else 0.0
    return Record(failures, now, until, exempt)


def faded(policy: Policy, record: Record, now: float) -> bool:
    """Nothing left to remember: no block, no exemption, last failure long enough ago."""
    return (
        now - record.last_failure >= policy.fade_seconds
        and record.blocked_until <= now
        and record.exempt_until <= now
    )


def wait_seconds(until: float, now: float) -> int:
    """Retry-After for a block ending at `until`: remaining seconds rounded up, at least 1; 0 if free."""
    remaining = until - now
    return 0 if remaining <= 0 else max(1, math.ceil(remaining))


def banned(policy: Policy, record: Record | None, now: float) -> bool:
    """In the long tier: a device in it loses its exemption until the block ends."""
    return record is not None and record.failures >= policy.ban_after and record.blocked_until > now
