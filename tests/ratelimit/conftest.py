"""Every limiter test that builds an app runs once per limiter store, the way app tests run
once per database (`--db`): "memory" (the process, written through to the database: one
worker) and "redis" (shared by every worker and instance). The same rules must hold on both.

A test that is about one store only says so with `@pytest.mark.limiter_stores("memory")`
(or a module's `pytestmark`). Redis is the machine's server under a prefix of the test's own,
shared by every app the test builds (several workers of one deployment); without Redis the
"redis" runs skip with the reason (CI requires it).
"""

from __future__ import annotations

import pytest

STORES = ("memory", "redis")


def pytest_generate_tests(metafunc):
    if "make_app" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("limiter_stores")
        metafunc.parametrize("limiter_store", marker.args if marker else STORES, indirect=True)


@pytest.fixture
def limiter_store(request):
    """This test's limiter store: "memory" or "redis"."""
    return request.param


@pytest.fixture
def make_app(make_app, limiter_store, request):
    """Apps whose limiter keeps its state in this test's store."""
    if limiter_store == "memory":
        return make_app
    shared = {
        "GATEHOUSE_CACHE": "redis",
        "GATEHOUSE_REDIS_URL": request.getfixturevalue("redis_url"),
        "GATEHOUSE_REDIS_PREFIX": request.getfixturevalue("redis_prefix"),
    }

    def build(**overrides):
        return make_app(**{**shared, **overrides})

    return build
