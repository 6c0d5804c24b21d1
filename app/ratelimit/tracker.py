"""The in-memory front: bounded client records (LRU), the global failure window, checks in flight.

Not thread-safe on its own: the limiter holds its lock around every call. Bounded however many
addresses attack: at most `max_clients` records (the least recently used go first) and at most
`global_count` failure times.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass

from app.ratelimit.policy import Policy, Record, after_failure, banned, faded


@dataclass
class Attempt:
    """A password check let through: who answers for it (one key) and what it reserved."""

    keys: tuple[str, ...]
    trusted: bool
    counts_global: bool
    slot: bool = False
    id: str = ""  # names its reservation in a shared store


class Tracker:
    def __init__(self, policy: Policy, max_clients: int) -> None:
        self.policy = policy
        self.max_clients = max_clients
        self.records: OrderedDict[str, Record] = OrderedDict()
        self.failures: deque[float] = deque(maxlen=policy.global_count)  # untrusted failure times, oldest first
        self.busy: set[str] = set()  # keys with a password check in flight
        self.pending = 0  # untrusted checks in flight: they may still use the global budget

    def get(self, key: str, now: float) -> Record | None:
        record = self.records.get(key)
        if record is None:
            return None
        if faded(self.policy, record, now):
            del self.records[key]
            return None
        self.records.move_to_end(key)
        return record

    def put(self, key: str, record: Record) -> list[str]:
        """Store `record`; returns the keys evicted to stay within `max_clients`."""
        self.records[key] = record
        self.records.move_to_end(key)
        evicted = []
        while len(self.records) > self.max_clients:
            evicted.append(self.records.popitem(last=False)[0])
        return evicted

    def forget(self, key: str | None) -> None:
        """Drop one key, or everything (also the global window) when `key` is None."""
        if key is None:
            self.records.clear()
            self.failures.clear()
        else:
            self.records.pop(key, None)

    def global_wait_until(self, now: float) -> float:
        """When the next untrusted check may run (<= now if the budget has room)."""
        window = self.policy.global_window
        while self.failures and self.failures[0] <= now - window:
            self.failures.popleft()
        if len(self.failures) + self.pending < self.policy.global_count:
            return now
        # Full: the oldest failure leaving the window frees a place (checks in flight may not fail).
        return self.failures[0] + window if self.failures else now + 1

    def budget_spent_until(self, now: float) -> float:
        """When the spent global budget has room again (<= now: it is not spent). Unlike
        `global_wait_until`, checks still in flight do not count: only failures spend it."""
        window = self.policy.global_window
        while self.failures and self.failures[0] <= now - window:
            self.failures.popleft()
        return self.failures[0] + window if len(self.failures) >= self.policy.global_count else now

    def load(self, records: dict[str, Record], failures: list[float]) -> None:
        """Replace the state with what the store holds (start-up, or after `gatehouse unblock`)."""
        self.records = OrderedDict(sorted(records.items(), key=lambda item: item[1].last_failure))
        while len(self.records) > self.max_clients:
            self.records.popitem(last=False)
        self.failures = deque(sorted(failures)[-self.policy.global_count:], maxlen=self.policy.global_count)

    def judge(self, ip_key: str, device_key: str | None, now: float) -> tuple[Attempt, float]:
        """Who answers for this attempt, and until when it must wait (<= now: go ahead).

        A valid device not in the ban tier answers alone; otherwise the address does, and
        also the global budget unless `gatehouse unblock` exempted the address.
        """
        device = self.get(device_key, now) if device_key else None
        if device_key and not banned(self.policy, device, now):
            return Attempt((device_key,), trusted=True, counts_global=False), device.blocked_until if device else 0.0
        record = self.get(ip_key, now)
        until = record.blocked_until if record else 0.0
        exempt = record is not None and record.exempt_until > now
        if not exempt:
            until = max(until, self.global_wait_until(now))
        return Attempt((ip_key,), trusted=False, counts_global=not exempt), until

    def reserve(self, attempt: Attempt) -> bool:
        """One check at a time per key: False if one is already in flight."""
        if self.busy.intersection(attempt.keys):
            return False
        self.busy.update(attempt.keys)
        self.pending += attempt.counts_global
        return True

    def unreserve(self, attempt: Attempt) -> None:
        self.busy.difference_update(attempt.keys)
        self.pending -= attempt.counts_global

    def settle(self, attempt: Attempt, success: bool, now: float) -> tuple[dict[str, Record | None], float | None]:
        """Apply the outcome; returns the changed records (None = gone) and the global failure time."""
        changes: dict[str, Record | None] = {}
        for key in attempt.keys:
            old = self.get(key, now)
            if success:
                new = Record(exempt_until=old.exempt_until) if old and old.exempt_until > now else None
            else:
                new = after_failure(self.policy, old, now)
            changes[key] = new
            if new is None:
                self.forget(key)
            else:
                changes.update(dict.fromkeys(self.put(key, new)))
        if success or not attempt.counts_global:
            return changes, None
        self.failures.append(now)
        return changes, now
