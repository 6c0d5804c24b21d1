"""Refused sign-in attempts, counted in memory and written to the activity in batches.

A request refused while its client is blocked checks no password and costs almost nothing;
writing a row for each would let a flood turn into a flood of database writes. So each
process counts refusals per (address, minute) here and writes them at most every
`FLUSH_SECONDS` (the request that finds a write due does it; the others only count), as one
row per address and minute (the first refusal after a quiet spell is written at once, so
a lone block shows up on the page straight away). Per minute at most `MAX_ADDRESSES` addresses get their own row;
the rest share one `ip="*"` row, so the table grows by at most MAX_ADDRESSES + 1 rows a minute
per process whatever the flood. Counts of the last FLUSH_SECONDS of a flood wait for the
next write (the next refusal, the activity page, or the purge job); they are lost if the
process dies first.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

FLUSH_SECONDS = 5.0
MAX_ADDRESSES = 100
MANY = "*"  # the shared row for addresses beyond MAX_ADDRESSES in one minute


@dataclass
class Pending:
    count: int
    user_agent: str | None  # the first one seen: a hint, not a record of each
    last: float  # when the latest of them came


class BlockedTally:
    def __init__(self, max_addresses: int = MAX_ADDRESSES, flush_seconds: float = FLUSH_SECONDS) -> None:
        self.max_addresses, self.flush_seconds = max_addresses, flush_seconds
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, int], Pending] = {}
        self._minute, self._seen = -1, set()  # addresses given their own row in the current minute
        self._last_flush: float | None = None

    def add(self, ip: str | None, user_agent: str | None, now: float) -> bool:
        """Count one refusal at `now` (epoch seconds); True when a write is due."""
        minute = int(now // 60) * 60
        address = ip or MANY
        with self._lock:
            if minute != self._minute:
                self._minute, self._seen = minute, set()
            if address not in self._seen:
                if len(self._seen) < self.max_addresses:
                    self._seen.add(address)
                else:
                    address, user_agent = MANY, None
            entry = self._pending.get((address, minute))
            if entry is None:
                self._pending[(address, minute)] = Pending(1, user_agent, now)
            else:
                entry.count += 1
                entry.last = max(entry.last, now)
            # The first refusal after a quiet spell is written at once; then one write per FLUSH_SECONDS.
            return self._last_flush is None or now - self._last_flush >= self.flush_seconds

    def take(self, now: float) -> dict[tuple[str, int], Pending]:
        """Everything counted so far, emptied: the caller writes it."""
        with self._lock:
            taken, self._pending = self._pending, {}
            self._last_flush = now
        return taken

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)
