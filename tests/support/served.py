"""Real gunicorn driven over HTTP as a browser or script would: sign-in, sign-out, the home page, and its workers."""

from __future__ import annotations

import json
import time
from pathlib import Path

import requests

from tests.support.app import CSRF_RE, PASSWORD


def login(session: requests.Session, url: str, password: str = PASSWORD, next_path: str = "/"):
    token = CSRF_RE.search(session.get(url + "/login").text).group(1)
    return session.post(url + "/login", data={"csrf_token": token, "password": password, "next": next_path}, allow_redirects=False)


def login_new_browser(url, password=PASSWORD):
    """A new browser posting the sign-in form: (the browser, the answer's status)."""
    browser = requests.Session()
    token = CSRF_RE.search(browser.get(url + "/login").text).group(1)
    response = browser.post(url + "/login", data={"csrf_token": token, "password": password}, allow_redirects=False)
    return browser, response.status_code


def signed_in(server) -> tuple[requests.Session, str]:
    """A browser signed in on `server`, and its session cookie (kept to replay after sign-out)."""
    browser = requests.Session()
    assert login(browser, server.url).status_code == 303
    return browser, browser.cookies["gatehouse_session"]


def home(server, cookie: str) -> int:
    response = requests.get(server.url + "/", cookies={"gatehouse_session": cookie}, allow_redirects=False, timeout=5)
    return response.status_code


def logout(server, browser: requests.Session) -> int:
    token = CSRF_RE.search(browser.get(server.url + "/logout").text).group(1)
    return browser.post(server.url + "/logout", data={"csrf_token": token}, allow_redirects=False).status_code


def attempt(server, password: str, address: str, device: str | None = None) -> requests.Response:
    """A new browser (a new connection) posting the sign-in form from `address`."""
    browser = requests.Session()
    if device:
        browser.cookies.set("gatehouse_device", device)
    headers = {"X-Forwarded-For": address}
    token = CSRF_RE.search(browser.get(server.url + "/login", headers=headers).text).group(1)
    return browser.post(server.url + "/login", data={"csrf_token": token, "password": password}, headers=headers,
                        allow_redirects=False)


def entries(server, since: int) -> list[dict]:
    return [json.loads(line) for line in server.output()[since:].splitlines() if line.startswith("{")]


def pids(server, since: int, **match) -> set[int]:
    """The workers that logged an entry with these fields since byte `since` of the log."""
    return {e["pid"] for e in entries(server, since) if all(e.get(k) == v for k, v in match.items())}


def wait_serving(server, count: int, timeout: float = 60) -> set[int]:
    """The workers that logged they serve, once `count` have (or `timeout` seconds passed)."""
    deadline = time.monotonic() + timeout
    while len(serving := pids(server, 0, event="serving")) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    return serving


def worker_pids(srv):
    children = Path(f"/proc/{srv.process.pid}/task/{srv.process.pid}/children").read_text().split()
    return [int(pid) for pid in children]
