"""Where the limiter judges and remembers: one interface, two implementations.

`Limits` is everything the extension asks of the state: may this client try now (and if so,
reserve its one password check), what came of the check, and `gatehouse unblock`.

- `LocalLimits` (here): the working state in the process (`Tracker`), written through to the
  database (`DatabaseStore`) and read back when another process changed it. Only correct
  while one process serves requests: the default.
- `RedisLimits` (app/ratelimit/redis_limits.py): the state in Redis, read and changed by
  atomic scripts, so a failure seen by one worker or instance blocks the client on all of
  them at once. Chosen whenever the state is shared (app/workers.py `state_is_shared`).
"""

from __future__ import annotations

import threading
from typing import Any, Mapping, Protocol

from app.ratelimit.policy import Policy, Record, faded, wait_seconds
from app.ratelimit.store import DatabaseStore
from app.ratelimit.tracker import Attempt, Tracker
from app.redis_client import client_from_config
from app.runtime.workers import state_is_shared

REFRESH_SECONDS = 1.0  # how soon a running server sees `gatehouse unblock` from another process


class Limits(Protocol):
    def judge(self, ip_key: str, device_key: str | None, now: float) -> tuple[Attempt, int]:
        """Who answers for this attempt, and its Retry-After in seconds; 0 means it may go
        ahead and its client's one check in flight is reserved (until `settle` or `release`)."""

    def settle(self, attempt: Attempt, success: bool, now: float) -> int:
        """Apply the outcome and drop the reservation; the client's consecutive failures after it."""

    def release(self, attempt: Attempt) -> None:
        """Drop the reservation of an attempt that never reported (nothing is counted)."""

    def unblock(self, ip_key: str | None, now: float) -> Record | None:
        """Forget everything (`None`), or one address's block, exempting it from the global budget.
        Returns what the address had before (None: nothing, or everything was cleared)."""

    def clients(self, now: float) -> int:
        """How many clients (addresses, devices) have a record that has not faded (for the metrics)."""

    def budget_wait(self, now: float) -> int:
        """0 while the global budget has room; once spent, the seconds until a failure leaves the window."""


def build_limits(config: Mapping[str, Any], policy: Policy, max_clients: int, store: DatabaseStore) -> Limits:
    if not state_is_shared(config):
        return LocalLimits(policy, max_clients, store)
    client = client_from_config(config, "GATEHOUSE_REDIS_URL")
    from app.ratelimit.redis_limits import RedisLimits  # imports redis-py, an optional dependency

    return RedisLimits(client, config["GATEHOUSE_REDIS_PREFIX"], policy)


class LocalLimits:
    def __init__(self, policy: Policy, max_clients: int, store: DatabaseStore) -> None:
        self.policy = policy
        self.tracker = Tracker(policy, max_clients)
        self.store = store
        self.lock = threading.Lock()  # the tracker: held only for in-memory work
        # Reloading replaces the tracker with what the store holds. A settle that changed the
        # tracker but had not saved yet when the reload read the store would be lost (the
        # global budget overdrawn after start-up), so a reload (read + replace) and a
        # settle (apply + save) never overlap; judges are not held, except before the first load.
        self.reload_lock = threading.Lock()
        self.generation: str | None = None
        self.refreshed_at = float("-inf")
        self.pruned_at = float("-inf")

    def judge(self, ip_key: str, device_key: str | None, now: float) -> tuple[Attempt, int]:
        self._refresh(now)
        with self.lock:
            attempt, until = self.tracker.judge(ip_key, device_key, now)
            wait = wait_seconds(until, now) or (0 if self.tracker.reserve(attempt) else 1)
        return attempt, wait

    def settle(self, attempt: Attempt, success: bool, now: float) -> int:
        with self.reload_lock:
            with self.lock:
                self.tracker.unreserve(attempt)
                changes, failure_at = self.tracker.settle(attempt, success, now)
            self.store.save(changes, failure_at, self.policy.global_window)
        record = changes.get(attempt.keys[0])
        return record.failures if record is not None else 0

    def release(self, attempt: Attempt) -> None:
        with self.lock:
            self.tracker.unreserve(attempt)

    def budget_wait(self, now: float) -> int:
        with self.lock:
            return wait_seconds(self.tracker.budget_spent_until(now), now)

    def clients(self, now: float) -> int:
        with self.lock:  # at most max_clients records, a few times a minute
            return sum(1 for record in self.tracker.records.values() if not faded(self.policy, record, now))

    def unblock(self, ip_key: str | None, now: float) -> Record | None:
        record, before = Record(exempt_until=now + self.policy.fade_seconds), None
        with self.reload_lock:
            if ip_key is None:
                self.store.clear(None)
            else:
                before = self.store.get(ip_key)
                self.store.save({ip_key: record}, None, self.policy.global_window)
            generation = self.store.bump_generation()
            with self.lock:
                if ip_key is None:
                    self.tracker.forget(None)
                else:
                    self.tracker.put(ip_key, record)
                self.generation = generation
        return before

    def _due(self, now: float) -> bool:
        return self.generation is None or now - self.refreshed_at >= REFRESH_SECONDS

    def _refresh(self, now: float) -> None:
        """Reload from the store at start and after another process changed it."""
        if not self._due(now):
            return
        with self.reload_lock:
            if not self._due(now):  # another thread did it while this one waited
                return
            self.refreshed_at = now
            policy = self.policy
            if now - self.pruned_at >= policy.fade_seconds:  # rows memory dropped when they faded
                self.pruned_at = now
                self.store.prune(now, policy.fade_seconds, policy.global_window)
            generation = self.store.generation()
            if generation != self.generation:
                records, failures = self.store.load(now, policy.fade_seconds, policy.global_window)
                with self.lock:
                    self.tracker.load(records, failures)
                    self.generation = generation
