"""A stand-in for an Apprise plugin, for the sender's tests (tests/notify/)."""

from __future__ import annotations

import threading


class Plugin:
    """Stands in for an Apprise plugin: takes messages, or fails, or blocks until released."""

    service_name = "fake"

    def __init__(self, results=(), block: threading.Event | None = None) -> None:
        self.results, self.block, self.seen = list(results), block, []

    def notify(self, body, title, notify_type):
        if self.block is not None:
            self.block.wait(10)
        self.seen.append((title, body, notify_type))
        if self.results:
            result = self.results.pop(0)
            if isinstance(result, Exception):
                raise result
            return result
        return True
