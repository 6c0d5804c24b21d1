"""Redis for the tests: the machine's server (unique key prefix per test) or a private one.

Loaded from tests/conftest.py as a plugin. Nothing is flushed: each test works under its
own prefix and deletes its keys afterwards, so a shared Redis is left as it was found.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid

import pytest
import redis

from tests.support.external import require_external
from tests.e2e.server import free_port

REDIS_URL = os.environ.get("GATEHOUSE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5, decode_responses=True)


@pytest.fixture
def redis_url():
    """The machine's Redis (GATEHOUSE_TEST_REDIS_URL, default 127.0.0.1:6379), or a skip saying why."""
    try:
        _client(REDIS_URL).ping()
    except redis.RedisError as exc:
        require_external(f"Redis at {REDIS_URL} unavailable ({type(exc).__name__})")
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url):
    """A key prefix no other test (or helper run) uses; its keys are removed afterwards."""
    prefix = f"gatehouse-test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = _client(redis_url)
    keys = list(client.scan_iter(match=prefix + "*", count=500))
    if keys:
        client.delete(*keys)


class RedisServer:
    """A private redis-server on a free port that a test can stop and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if _client(self.url).ping():
                    return self
            except redis.RedisError:
                time.sleep(0.05)
        raise AssertionError(f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def client(self):
        return _client(self.url)


@pytest.fixture
def redis_server():
    """A private redis-server (the test may stop and restart it); skipped without the binary."""
    if shutil.which("redis-server") is None:
        require_external("redis-server binary not installed")
    server = RedisServer().start()
    yield server
    server.stop()
