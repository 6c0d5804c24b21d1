"""The soak's clients (bench/soak.py): browsers, API scripts, a proxy's verify calls, an attacker.

Each actor is a loop that ends at a deadline; every request has a timeout, so the soak
always stops by itself. Each records (route, status, seconds) in a shared `Recorder`.
Addresses are simulated with X-Forwarded-For (the server trusts 127.0.0.1 as its proxy).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter, defaultdict

import requests

from tests.support.app import CSRF_RE

TIMEOUT = 30
VIEWS_PER_SESSION = 200
THINK = 0.02  # seconds between a person's (or script's) requests; the proxy and attacker do not pause
ABANDON_EVERY = 4  # every 4th session is left to the purge job instead of logged out
ATTACK_ADDRESSES = 5000


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seconds: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.errors: Counter = Counter()  # connection failures and timeouts, by exception type
        self.shed = 0  # 503 + Retry-After: the limiter had no password-check slot free (by design)

    def add(self, route: str, status: int, seconds: float, shed: bool = False) -> None:
        with self.lock:
            self.seconds[route].append(seconds)
            self.statuses[route][status] += 1
            self.shed += shed


class Client:
    """One browser or script: its own cookies, its own address."""

    def __init__(self, url: str, recorder: Recorder, ip: str) -> None:
        self.url, self.recorder, self.ip = url, recorder, ip
        self.http = requests.Session()

    def call(self, route: str, method: str, path: str, headers: dict | None = None, **kwargs):
        headers = {"X-Forwarded-For": self.ip, **(headers or {})}
        started = time.perf_counter()
        try:
            response = self.http.request(method, self.url + path, headers=headers, allow_redirects=False,
                                         timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            with self.recorder.lock:
                self.recorder.errors[type(exc).__name__] += 1
            return None
        shed = response.status_code == 503 and "Retry-After" in response.headers and "sign-in" in response.text
        self.recorder.add(route, response.status_code, time.perf_counter() - started, shed)
        return response

    def csrf(self, path: str = "/login") -> str | None:
        page = self.call("GET " + path, "GET", path)
        match = CSRF_RE.search(page.text) if page is not None else None
        return match.group(1) if match else None


def browser(client: Client, password: str, deadline: float) -> None:
    """Sign in with the form, view pages, sign out (or walk away)."""
    for cycle in itertools.count(1):
        if time.monotonic() >= deadline:
            return
        token = client.csrf()
        response = client.call("POST /login", "POST", "/login", data={"csrf_token": token, "password": password})
        if response is None or response.status_code != 303:
            continue
        for view in range(VIEWS_PER_SESSION):
            client.call("GET /sessions", "GET", "/sessions") if view % 10 == 9 else client.call("GET /", "GET", "/")
            time.sleep(THINK)
        if cycle % ABANDON_EVERY == 0:
            client.http.cookies.pop("gatehouse_session", None)
        else:
            client.call("POST /logout", "POST", "/logout", data={"csrf_token": client.csrf("/logout")})


def api_script(client: Client, password: str, deadline: float) -> None:
    """Bearer tokens and cookie API sessions: token/login, session, verify, logout."""
    for cycle in itertools.count(1):
        if time.monotonic() >= deadline:
            return
        if cycle % 2:
            response = client.call("POST /api/v1/auth/token", "POST", "/api/v1/auth/token",
                                   json={"password": password, "label": f"soak {cycle}"})
            if response is None or response.status_code != 200:
                continue
            auth = {"Authorization": "Bearer " + response.json()["token"]}
        else:
            response = client.call("POST /api/v1/auth/login", "POST", "/api/v1/auth/login", json={"password": password})
            if response is None or response.status_code != 200:
                continue
            auth = {}
        client.call("GET /api/v1/auth/session", "GET", "/api/v1/auth/session", headers=auth)
        for _ in range(VIEWS_PER_SESSION):
            client.call("GET /api/v1/auth/verify", "GET", "/api/v1/auth/verify", headers=auth)
            time.sleep(THINK)
        if cycle % ABANDON_EVERY == 0:
            client.http.cookies.pop("gatehouse_session", None)
        else:
            client.call("POST /api/v1/auth/logout", "POST", "/api/v1/auth/logout", headers=auth, json={})


def proxy(client: Client, anonymous: Client, password: str, deadline: float) -> None:
    """nginx auth_request: verify with a live cookie, and without one (401 + login URL).
    When the session ends (lifetime), its owner signs in again, as a person would."""
    while time.monotonic() < deadline:
        response = client.call("GET /api/v1/auth/verify (proxy)", "GET", "/api/v1/auth/verify")
        if response is not None and response.status_code == 401:
            client.call("POST /api/v1/auth/login", "POST", "/api/v1/auth/login", json={"password": password})
        anonymous.call("GET /api/v1/auth/verify (anonymous)", "GET", "/api/v1/auth/verify",
                       headers={"X-Forwarded-Uri": "/app/page?x=1"})


def attacker(client: Client, deadline: float, pause: float = 0.01) -> None:
    """Wrong passwords from many addresses, by form and by API, without a device cookie."""
    token = client.csrf()
    for n in itertools.count():
        if time.monotonic() >= deadline:
            return
        k = n % ATTACK_ADDRESSES
        client.ip = f"10.{k // 250}.{k % 250}.9"
        if n % 2:
            client.call("POST /login (wrong)", "POST", "/login", data={"csrf_token": token, "password": f"guess {n}"})
        else:
            client.call("POST /api/v1/auth/token (wrong)", "POST", "/api/v1/auth/token", json={"password": f"guess {n}"})
        time.sleep(pause)
