"""Guesses refused by the worker's main loop in real gunicorn (app/edge/early_refusal.py,
app/edge/worker.py): while a slow check holds the one slot for untrusted clients,
another untrusted guess gets the 503 a second later on a connection that stays usable, with
no access line, while the admin's trusted device still signs in."""

from __future__ import annotations

import http.client
import json
import threading
import time

import requests

from app.ratelimit.extension import FLOOD_REFUSALS
from tests.support.app import CSRF_RE, PASSWORD
from tests.e2e.server import Server

ROUNDS = "14"  # one check takes about a second or more: long enough to hold the slot meanwhile


def guess(url: str, address: str, password: str = "wrong guess", cookies: dict | None = None) -> requests.Response:
    browser = requests.Session()
    browser.cookies.update(cookies or {})
    token = CSRF_RE.search(browser.get(url + "/login").text).group(1)
    return browser.post(url + "/login", data={"csrf_token": token, "password": password},
                        headers={"X-Forwarded-For": address}, allow_redirects=False)


def test_a_guess_finding_no_slot_is_refused_before_a_thread_and_the_admin_still_gets_in(tmp_path):
    server = Server(tmp_path / "instance", GATEHOUSE_BCRYPT_ROUNDS=ROUNDS, GATEHOUSE_TRUSTED_PROXIES="127.0.0.1")
    server.prepare(PASSWORD)
    server.start()
    try:
        admin = guess(server.url, "192.0.2.1", PASSWORD)
        assert admin.status_code == 303
        device = {"gatehouse_device": admin.cookies["gatehouse_device"]}

        slow = threading.Thread(target=guess, args=(server.url, "203.0.113.1"))
        slow.start()  # holds the untrusted slot for its whole check
        time.sleep(0.5)

        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        started = time.monotonic()
        connection.request("POST", "/api/v1/auth/token", body=json.dumps({"password": "another guess"}),
                           headers={"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.2"})
        refused = connection.getresponse()
        body, waited = refused.read(), time.monotonic() - started
        socket_used = connection.sock
        assert refused.status == 503 and refused.getheader("Retry-After") == "1"
        assert json.loads(body)["error"] == "unavailable"
        assert refused.getheader("X-Content-Type-Options") == "nosniff"
        assert 0.9 <= waited, "held for a second, as its Retry-After says (the app refuses at once)"

        connection.request("GET", "/healthz")  # the same connection serves the next request
        assert connection.getresponse().read() == b"ok\n" and connection.sock is socket_used

        assert guess(server.url, "203.0.113.2", PASSWORD, cookies=device).status_code == 303
        slow.join()
        assert guess(server.url, "203.0.113.3").status_code == 401  # slot free again: the app checks
        time.sleep(0.2)  # access lines are written after the response
    finally:
        server.stop()
    access = [json.loads(line) for line in server.output().splitlines()
              if line.startswith("{") and '"gunicorn.access"' in line]
    assert [a["message"] for a in access if "token" in a["message"]] == []  # the app would have logged it
    assert any(a["message"] == "POST /login 401" for a in access)


def test_while_guesses_are_refused_a_blocked_address_is_refused_early_with_the_limiters_wait(tmp_path):
    server = Server(tmp_path / "instance", GATEHOUSE_TRUSTED_PROXIES="127.0.0.1", GATEHOUSE_LOGIN_BAN="2/900")
    server.prepare(PASSWORD)
    server.start()
    try:
        assert guess(server.url, "203.0.113.5").status_code == 401
        time.sleep(0.6)  # past the first backoff
        assert guess(server.url, "203.0.113.5").status_code == 401  # second failure: a 900 s ban
        for _ in range(FLOOD_REFUSALS):  # refused by the app in a flood's numbers: guesses are judged early now
            assert guess(server.url, "203.0.113.5").status_code == 429

        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        started = time.monotonic()
        connection.request("POST", "/api/v1/auth/token", body=json.dumps({"password": PASSWORD}),
                           headers={"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.5"})
        refused = connection.getresponse()
        body, waited = refused.read(), time.monotonic() - started
        assert refused.status == 429 and 890 <= int(refused.getheader("Retry-After")) <= 900
        assert json.loads(body)["error"] == "rate_limited" and waited >= 0.9
        assert guess(server.url, "203.0.113.6").status_code == 401  # another address: the app checks it
        time.sleep(0.2)
    finally:
        server.stop()
    access = [json.loads(line) for line in server.output().splitlines()
              if line.startswith("{") and '"gunicorn.access"' in line]
    assert [a["message"] for a in access if "token" in a["message"]] == []  # the app would have logged it
    assert [a["status"] for a in access if a["path"] == "/login" and a["method"] == "POST"] == [
        401, 401, *[429] * FLOOD_REFUSALS, 401]
