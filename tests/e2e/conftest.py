import pytest

from tests.conftest import PASSWORD, require_external
from tests.e2e.server import Server


@pytest.fixture
def server(tmp_path):
    """Real gunicorn on a free loopback port, with the master password set."""
    srv = Server(tmp_path / "instance")
    srv.prepare(PASSWORD)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def redis_url():
    """A reachable Redis (GATEHOUSE_TEST_REDIS_URL, default the local one), else skip."""
    import os

    import redis

    url = os.environ.get("GATEHOUSE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError:
        require_external(f"Redis at {url} is not reachable")
    return url
