"""Notifications from the real thing (SPEC §17): gunicorn's worker sends from its own thread after
the fork, and a command on the host (another process, which exits right after) still delivers
before it ends. The receiver is Apprise's JSON webhook to a loopback HTTP server."""

from __future__ import annotations

import time

import pytest
import requests

from tests.e2e.server import Server, gatehouse
from tests.support.app import CSRF_RE, PASSWORD
from tests.support.receiver import HOOK, Receiver
from tests.support.two_factor import enable_codes_on_instance


@pytest.fixture
def receiver():
    started = Receiver()
    yield started
    started.stop()


@pytest.fixture
def live(tmp_path, receiver):
    server = Server(tmp_path / "instance", GATEHOUSE_NOTIFY_URLS=receiver.url)
    server.prepare(PASSWORD)
    server.start()
    yield server
    server.stop()


def test_a_new_browser_and_the_break_glass_command_reach_the_receiver(live, receiver, tmp_path):
    browser = requests.Session()
    page = browser.get(live.url + "/login", timeout=30)
    started = time.monotonic()
    signed_in = browser.post(live.url + "/login", data={"csrf_token": CSRF_RE.search(page.text).group(1),
                                                        "password": PASSWORD, "next": "/"},
                             allow_redirects=False, timeout=30)
    assert signed_in.status_code == 303 and time.monotonic() - started < 5
    set_password, message = receiver.wait_for(2)
    assert set_password["title"].endswith("the master password was set on the server")  # prepare's set-password
    assert message["title"].endswith("sign-in from a new browser") and "127.0.0.1" in message["message"]

    enable_codes_on_instance(tmp_path / "instance", time.time())
    result = gatehouse(live.env, "two-factor", "disable", "--yes")
    assert result.returncode == 0, result.stderr
    # The command has exited: its message was delivered before it did.
    titles = [m["title"] for m in receiver.received]
    assert any(t.endswith("two-factor sign-in turned off on the server") for t in titles), titles
    assert HOOK not in live.output() + result.stderr + result.stdout


def test_notify_test_from_the_host(live, receiver):
    result = gatehouse(live.env, "notify", "test")
    assert result.returncode == 0, result.stderr
    assert "Address 1 (JSON): arrived." in result.stdout
    assert receiver.received[-1]["title"].endswith("test message")
