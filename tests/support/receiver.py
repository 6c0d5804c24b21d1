"""A real notification receiver: a loopback HTTP server for Apprise's JSON webhook
(`json://127.0.0.1:PORT/PATH`), keeping what arrives. It can answer the first few posts with
500 (to see retries) or answer slowly (to see that a sign-in does not wait)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.e2e.server import free_port

HOOK = "/hooks/s3cr3t-hook-token"  # the secret part of the address: must never be logged


class Receiver:
    def __init__(self, failures: int = 0, delay: float = 0.0) -> None:
        self.port = free_port()
        self.received: list[dict] = []
        self.paths: list[str] = []
        self.failures = failures  # answer this many posts with 500 first
        self.delay = delay
        self._arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if receiver.delay:
                    time.sleep(receiver.delay)
                with receiver._arrived:
                    receiver.paths.append(self.path)
                    failing = receiver.failures > 0
                    receiver.failures -= failing
                    if not failing:
                        receiver.received.append(json.loads(body))
                        receiver._arrived.notify_all()
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}{HOOK}"

    def wait_for(self, count: int, timeout: float = 15) -> list[dict]:
        """The first `count` messages, waiting for them; AssertionError if they do not come."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.received) < count:
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"{len(self.received)} of {count} notification(s) arrived: {self.received}"
                self._arrived.wait(remaining)
            return list(self.received[:count])

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
