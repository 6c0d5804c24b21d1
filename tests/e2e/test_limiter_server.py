"""The limiter in real gunicorn: a block survives a restart, and `gatehouse unblock` from the shell lifts it."""

from __future__ import annotations

import threading
import time

import requests

from tests.support.app import CSRF_RE, PASSWORD
from tests.e2e.server import Server, gatehouse


def post_login(url: str, password: str) -> requests.Response:
    browser = requests.Session()
    token = CSRF_RE.search(browser.get(url + "/login").text).group(1)
    return browser.post(url + "/login", data={"csrf_token": token, "password": password}, allow_redirects=False)


def test_block_survives_restart_and_unblock_reaches_the_running_server(tmp_path):
    first = Server(tmp_path / "instance", GATEHOUSE_LOGIN_BAN="2/900")
    first.prepare(PASSWORD)
    first.start()
    try:
        assert post_login(first.url, "wrong guess one").status_code == 401
        time.sleep(0.6)
        assert post_login(first.url, "wrong guess two").status_code == 401  # second failure: 900 s ban
    finally:
        assert first.stop() == 0
    second = Server(tmp_path / "instance", GATEHOUSE_LOGIN_BAN="2/900")
    second.start()
    try:
        blocked = post_login(second.url, PASSWORD)
        assert blocked.status_code == 429 and 890 <= int(blocked.headers["Retry-After"]) <= 900
        result = gatehouse(second.env, "unblock", "127.0.0.1")
        assert result.returncode == 0, result.stderr
        time.sleep(1.2)  # the server looks for changes once a second
        assert post_login(second.url, PASSWORD).status_code == 303
    finally:
        assert second.stop() == 0


def concurrent_guesses(url: str, addresses: list[str]) -> list[int]:
    """One wrong guess per address, all released at the same moment."""
    pairs = []
    for address in addresses:
        browser = requests.Session()
        pairs.append((browser, CSRF_RE.search(browser.get(url + "/login").text).group(1), address))
    barrier, statuses = threading.Barrier(len(pairs)), []

    def guess(browser, token, address):
        barrier.wait()
        statuses.append(browser.post(url + "/login", data={"csrf_token": token, "password": "wrong guess"},
                                     headers={"X-Forwarded-For": address}, allow_redirects=False).status_code)

    threads = [threading.Thread(target=guess, args=pair) for pair in pairs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def test_concurrent_guesses_from_one_address_get_one_check(tmp_path):
    """Eight threads give three untrusted check slots; the per-client reservation still lets one through."""
    server = Server(tmp_path / "instance", GATEHOUSE_THREADS="8", GATEHOUSE_BCRYPT_ROUNDS="10")
    server.prepare(PASSWORD)
    server.start()
    try:
        statuses = concurrent_guesses(server.url, ["198.51.100.1"] * 8)  # untrusted peer: the header is ignored
    finally:
        server.stop()
    assert statuses.count(401) == 1 and set(statuses) <= {401, 429, 503}


def test_concurrent_guesses_never_overdraw_the_global_budget(tmp_path):
    server = Server(tmp_path / "instance", GATEHOUSE_THREADS="8", GATEHOUSE_BCRYPT_ROUNDS="10",
                    GATEHOUSE_TRUSTED_PROXIES="127.0.0.1", GATEHOUSE_LOGIN_GLOBAL="2/3600")
    server.prepare(PASSWORD)
    server.start()
    try:
        statuses = concurrent_guesses(server.url, [f"203.0.113.{n}" for n in range(8)])
    finally:
        server.stop()
    assert 1 <= statuses.count(401) <= 2 and set(statuses) <= {401, 429, 503}
