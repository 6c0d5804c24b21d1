"""The in-process limiter's reload never loses a failure settled while it read the store.

Deterministic: the store's `load` is paused at the worst moment (it has read the database,
not yet replaced the memory) while another thread settles a failure.
"""

from __future__ import annotations

import threading

import pytest

from app.ratelimit.limits import LocalLimits
from app.ratelimit.policy import Policy
from app.ratelimit.store import DatabaseStore
from tests.support.ratelimit import START


pytestmark = pytest.mark.limiter_stores("memory")  # LocalLimits: the in-process store


class PausingStore(DatabaseStore):
    """The real store; once armed, `load` stops after reading until the test lets it go on."""

    def __init__(self, engine) -> None:
        super().__init__(lambda: engine)
        self.armed = False
        self.loaded = threading.Event()
        self.proceed = threading.Event()

    def load(self, now, fade_seconds, window):
        result = super().load(now, fade_seconds, window)
        if self.armed:
            self.loaded.set()
            assert self.proceed.wait(10)
        return result


def test_a_failure_settled_during_a_reload_is_kept(app):
    store = PausingStore(app.extensions["gatehouse.db"].engine)
    policy = Policy(backoff=(0.0,), ban_after=100, ban_seconds=900, global_count=1, global_window=3600)
    limits = LocalLimits(policy, max_clients=100, store=store)
    attempt, wait = limits.judge("203.0.113.1", None, START)  # the first load, not paused
    assert wait == 0

    store.bump_generation()  # another process changed the store: the next judge reloads
    store.armed = True
    judged = []
    reloading = threading.Thread(target=lambda: judged.append(limits.judge("203.0.113.2", None, START + 2)))
    reloading.start()
    assert store.loaded.wait(10)  # the reload has read the store (no failure in it yet)
    settling = threading.Thread(target=limits.settle, args=(attempt, False, START + 2.5))
    settling.start()
    settling.join(0.5)  # old code: done, and the reload is about to overwrite it
    store.proceed.set()
    reloading.join(10)
    settling.join(10)
    assert not reloading.is_alive() and not settling.is_alive()
    assert judged[0][1] > 0  # the one place in the budget was taken by the check in flight

    # The budget (1 failure an hour) is spent: nobody untrusted may try again, in memory or after a restart.
    assert limits.judge("203.0.113.3", None, START + 3)[1] > 0
    assert limits.tracker.records["203.0.113.1"].failures == 1
    restarted = LocalLimits(policy, max_clients=100, store=DatabaseStore(lambda: store.engine))
    assert restarted.judge("203.0.113.4", None, START + 3)[1] > 0
