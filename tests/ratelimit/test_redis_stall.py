"""A Redis that stalls (SIGSTOP of a redis-server of the test's own, as a host under memory
pressure or a long `DEBUG SLEEP` would): sign-in fails closed with 503 meanwhile, and once Redis
resumes nothing is left behind. On 0702507 (issue 22) the judging script queued during the stall
ran after the client had given up and took its check slot for 30 s: the admin, with the right
password, got 429 for half a minute."""

from __future__ import annotations

import os
import signal
import time

import pytest

from app.ratelimit.redis_limits import HOLD_MS
from app.services import master_password
from tests.support.ratelimit import PASSWORD, Browser

pytestmark = pytest.mark.limiter_stores("redis")


@pytest.fixture
def paused(redis_server):
    """pause() / resume() the private redis-server; always resumed at the end."""
    stopped = []

    def pause():
        os.kill(redis_server.process.pid, signal.SIGSTOP)
        stopped.append(True)

    def resume():
        os.kill(redis_server.process.pid, signal.SIGCONT)
        stopped.clear()

    yield pause, resume
    if stopped:
        resume()


def test_an_attempt_during_a_stall_leaves_no_check_slot_taken(make_app, redis_server, paused):
    pause, resume = paused
    app = make_app(GATEHOUSE_REDIS_URL=redis_server.url, GATEHOUSE_REDIS_PREFIX="stall:")
    with app.app_context():
        master_password.set_first(PASSWORD)
    admin = Browser(app)
    assert admin.login(PASSWORD).status_code == 303
    admin = Browser(app)  # signed out again: a fresh browser at the same address

    pause()
    started = time.monotonic()
    during = admin.login(PASSWORD)
    assert during.status_code == 503 and during.headers["Retry-After"] == "5"
    assert time.monotonic() - started < 3  # the client gives up fast
    time.sleep(2)  # Redis stays stalled well past the client's timeout
    resume()

    time.sleep(HOLD_MS / 1000 + 0.3)  # the queued script's reservation was never confirmed: it lapsed
    assert redis_server.client().keys("stall:limit:busy:*") == []
    after = admin.login(PASSWORD)
    assert after.status_code == 303, after.headers.get("Retry-After")
    assert redis_server.client().keys("stall:limit:busy:*") == []
