"""Bounded password checks: at most GATEHOUSE_THREADS - 1 at once, so one thread always serves pages.

Clients without a trusted device get one slot fewer still, so a flood of guesses never takes
the slot the admin's device needs. A check that finds no slot within `WAIT` gets 503 with
Retry-After rather than holding a thread in a queue.
"""

from __future__ import annotations

import threading
import time

from werkzeug.exceptions import ServiceUnavailable

WAIT = 0.2


class ChecksBusy(ServiceUnavailable):
    description = "Too many sign-in attempts are being checked right now; try again in a moment."

    def __init__(self) -> None:
        super().__init__(retry_after=1)


class CheckSlots:
    def __init__(self, threads: int) -> None:
        self.total = max(1, threads - 1)
        self._any = threading.BoundedSemaphore(self.total)
        self._untrusted = threading.BoundedSemaphore(max(1, self.total - 1))

    def acquire(self, trusted: bool, wait: float = WAIT) -> bool:
        deadline = time.monotonic() + wait
        if not trusted and not self._untrusted.acquire(timeout=wait):
            return False
        if self._any.acquire(timeout=max(0.0, deadline - time.monotonic())):
            return True
        if not trusted:
            self._untrusted.release()
        return False

    def release(self, trusted: bool) -> None:
        self._any.release()
        if not trusted:
            self._untrusted.release()
