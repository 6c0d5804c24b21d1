"""The two edges issue 22 found around forward auth on 0702507, through real gunicorn: a live
session presented with a forged `Host` was allowed by the shortcut (the app answers 400), and an
anonymous OPTIONS was answered 200 by Flask's automatic OPTIONS."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.server import Server
from tests.support.app import PASSWORD

CHECKS = ("/api/v1/auth/verify", "/api/v1/auth/forward-auth")


@pytest.fixture
def portal(tmp_path):
    """gunicorn with GATEHOUSE_PUBLIC_URL set, so only its host (and loopback) may appear in `Host`."""
    server = Server(tmp_path / "instance", GATEHOUSE_PUBLIC_URL="http://auth.gatehouse.test")
    server.prepare(PASSWORD)
    server.start()
    yield server
    server.stop()


def bearer(url: str) -> dict[str, str]:
    answer = requests.post(url + "/api/v1/auth/token", json={"password": PASSWORD}, timeout=10)
    assert answer.status_code == 200
    return {"Authorization": "Bearer " + answer.json()["token"]}


@pytest.mark.parametrize("path", CHECKS)
def test_a_live_session_with_a_forged_host_is_400_never_allowed(portal, path):
    token = bearer(portal.url)
    assert requests.get(portal.url + path, headers=token, timeout=5).status_code in (200, 204)  # the same token
    for host in ("evil.example", "auth.gatehouse.test.evil.example", "gatehouse.test"):
        for _ in range(2):  # the second time too: nothing kept from the first answer lets it through
            refused = requests.get(portal.url + path, headers={**token, "Host": host}, timeout=5)
            assert refused.status_code == 400, host
            assert "Remote-User" not in refused.headers


@pytest.mark.parametrize("path", CHECKS)
def test_options_is_405_for_anyone(portal, path):
    token = bearer(portal.url)
    for headers in ({}, token, {"Origin": "https://app1.gatehouse.test", "Access-Control-Request-Method": "GET"}):
        answer = requests.options(portal.url + path, headers=headers, timeout=5)
        assert answer.status_code == 405 and "Remote-User" not in answer.headers
        assert set(answer.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}
