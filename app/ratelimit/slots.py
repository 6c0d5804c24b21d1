"""Bounded password checks: at most GATEHOUSE_THREADS - 1 at once, so one thread always serves pages.

Clients without a trusted device share at most half of them (at least one), so a flood of
guesses never takes the slots the admin's device needs nor every CPU core (bcrypt runs outside
the GIL, one core per check), and they do not wait for a slot: under a flood, a thread parked
on the semaphore is a thread not serving pages. A trusted device waits up to `WAIT` for a slot.
Either way, no slot means 503 with Retry-After.
"""

from __future__ import annotations

import threading
import time

from werkzeug.exceptions import ServiceUnavailable

WAIT = 2.0  # a person at a trusted browser would rather wait than retry


class ChecksBusy(ServiceUnavailable):
    description = "Too many sign-in attempts are being checked right now; try again in a moment."

    def __init__(self) -> None:
        super().__init__(retry_after=1)


class CheckSlots:
    def __init__(self, threads: int) -> None:
        self.total = max(1, threads - 1)
        self.untrusted_total = max(1, self.total // 2)
        self._any = threading.BoundedSemaphore(self.total)
        self._untrusted = threading.BoundedSemaphore(self.untrusted_total)
        self._counting = threading.Lock()
        self._held = {True: 0, False: 0}  # slots held now, by trusted and by untrusted checks

    def acquire(self, trusted: bool, wait: float | None = None) -> bool:
        wait = (WAIT if trusted else 0.0) if wait is None else wait
        deadline = time.monotonic() + wait
        if not trusted and not self._untrusted.acquire(timeout=wait):
            return False
        if self._any.acquire(timeout=max(0.0, deadline - time.monotonic())):
            with self._counting:
                self._held[trusted] += 1
            return True
        if not trusted:
            self._untrusted.release()
        return False

    def release(self, trusted: bool) -> None:
        with self._counting:
            self._held[trusted] -= 1
        self._any.release()
        if not trusted:
            self._untrusted.release()

    def untrusted_refused(self) -> bool:
        """Whether a check without a trusted device would find no slot at this moment (a
        glance, no wait, nothing taken): app/edge/early_refusal.py refuses such attempts early."""
        held = self._held
        return held[False] >= self.untrusted_total or held[True] + held[False] >= self.total
