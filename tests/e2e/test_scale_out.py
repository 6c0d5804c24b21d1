"""Two real gunicorn instances sharing PostgreSQL and Redis: sign-outs reach both, outages too.

(Several workers per instance need the worker check's relaxation, which another branch
brings; two one-worker instances are two processes just the same.)
"""

import json
import time

import pytest

from tests.support.app import PASSWORD
from tests.support.served import home, logout, signed_in
from tests.e2e.server import Server


@pytest.fixture
def pair(tmp_path, postgres, redis_server):
    """Instances A and B: one instance dir (so one secret key), one database, one Redis."""
    name = postgres.create()
    env = dict(GATEHOUSE_DATABASE_URL=postgres.url_for(name), GATEHOUSE_CACHE="redis",
               GATEHOUSE_REDIS_URL=redis_server.url)
    servers = [Server(tmp_path / "instance", **env) for _ in "ab"]
    servers[0].prepare(PASSWORD)
    try:
        yield [s.start() for s in servers]
    finally:
        for server in servers:
            server.stop()
        postgres.drop(name)


def events(server, name) -> int:
    lines = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
    return sum(1 for line in lines if line.get("event") == name)


def test_sign_out_on_one_instance_is_honoured_by_the_other_even_across_a_redis_outage(pair, redis_server):
    a, b = pair
    browser, cookie = signed_in(a)
    assert home(b, cookie) == 200  # B has it cached in Redis now
    assert logout(a, browser) == 303
    replays = [home(b, cookie) for _ in range(200)]
    assert replays.count(303) == 200  # 0 accepted

    (_, kept), (leaving, revoked) = signed_in(a), signed_in(a)
    assert home(b, kept) == 200 and home(b, revoked) == 200
    redis_server.stop()
    assert [home(b, kept) for _ in range(20)] == [200] * 20  # from the database
    assert logout(a, leaving) == 303
    assert [home(b, revoked) for _ in range(20)] == [303] * 20
    assert events(a, "cache_unavailable") == 1 and events(b, "cache_unavailable") == 1

    redis_server.start()
    time.sleep(1.2)
    assert home(b, kept) == 200 and home(a, kept) == 200 and home(b, revoked) == 303
    assert events(b, "cache_recovered") == 1
    cached = [k for k in redis_server.client().scan_iter(match="gatehouse:session:*") if not k.endswith("generation")]
    assert len(cached) == 1  # the kept session, cached again
    assert " 500 " not in a.output() + b.output()
