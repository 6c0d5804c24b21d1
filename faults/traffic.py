"""The suite's clients and its books (faults/run.py): what every answer was, and which sessions
should be alive.

`Ledger` keeps each session cookie a client holds with what it should be: alive (signed in and
not ended by us), ended (signed out with an answer, or revoked by a password change that
answered), or uncertain (a sign-out or change whose answer never came: the crash decided).
After a fault, `Ledger.check` asks /api/v1/auth/verify with each cookie: an alive one refused is
a session lost, an ended one allowed is a session revived.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import requests

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
COOKIE = "gatehouse_session"  # GATEHOUSE_COOKIE_SECURE=0 on loopback
TIMEOUT = 15


@dataclass
class Tally:
    """Every answer of a scenario, by kind."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)  # no answer: refused, reset, timed out
    bad: list = field(default_factory=list)  # (route, status) of every 5xx other than 503

    def add(self, route: str, status: int) -> None:
        with self.lock:
            self.statuses[status] += 1
            if status >= 500 and status != 503:
                self.bad.append((route, status))

    def failed(self, error: Exception) -> None:
        with self.lock:
            self.failures[_kind(error)] += 1

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())


def _kind(error: Exception) -> str:
    text = str(error)
    if "Connection refused" in text:
        return "refused"
    if isinstance(error, requests.Timeout):
        return "timeout"
    return "dropped"


def address() -> str:
    """A client address of its own (the server trusts loopback as its proxy): the limiter counts
    each client apart, as it would real people."""
    return f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"


class Client:
    """One browser: its own cookies and address; every request's answer goes to the tally."""

    def __init__(self, base: "Base", tally: Tally) -> None:
        self.base, self.tally = base, tally
        self.http = requests.Session()
        self.http.headers["X-Forwarded-For"] = address()

    def call(self, route: str, method: str, path: str, **kwargs) -> requests.Response | None:
        try:
            response = self.http.request(method, self.base.url + path, allow_redirects=False, timeout=TIMEOUT,
                                         **kwargs)
        except requests.RequestException as exc:
            self.tally.failed(exc)
            return None
        self.tally.add(route, response.status_code)
        return response

    def sign_in(self, password: str) -> str | None:
        """The session cookie of a form sign-in, or None."""
        token = self.form_token("/login")
        if token is None:
            return None
        self.http.cookies.pop(COOKIE, None)
        answer = self.call("POST /login", "POST", "/login", data={"csrf_token": token, "password": password})
        return self.http.cookies.get(COOKIE) if answer is not None and answer.status_code == 303 else None

    def form_token(self, path: str) -> str | None:
        page = self.call("GET " + path, "GET", path)
        match = CSRF_RE.search(page.text) if page is not None and page.status_code == 200 else None
        return match.group(1) if match else None

    def sign_out(self) -> bool | None:
        """True: signed out (an answer came); None: no answer (uncertain)."""
        token = self.form_token("/logout")
        if token is None:
            return None
        answer = self.call("POST /logout", "POST", "/logout", data={"csrf_token": token})
        return True if answer is not None and answer.status_code == 303 else None


class Base:
    """Where the server is now (a restart moves it to another port)."""

    def __init__(self, url: str) -> None:
        self.url = url


@dataclass
class Ledger:
    lock: threading.Lock = field(default_factory=threading.Lock)
    alive: set = field(default_factory=set)
    ended: set = field(default_factory=set)
    uncertain: set = field(default_factory=set)
    changes_uncertain: list = field(default_factory=list)  # cookies alive when an unanswered change was sent

    def signed_in(self, cookie: str) -> None:
        with self.lock:
            self.alive.add(cookie)

    def signed_out(self, cookie: str, answered: bool) -> None:
        with self.lock:
            self.alive.discard(cookie)
            (self.ended if answered else self.uncertain).add(cookie)

    def changed_password(self, kept: str | None, answered: bool) -> None:
        """A password change: every session but `kept` (the changer's fresh one) ends. Unanswered
        (the crash came first), whether it did is settled after the restart (`settle_change`)."""
        with self.lock:
            others = self.alive - {kept}
            if answered:
                self.ended |= others
                self.alive = {kept} if kept else set()
            else:
                self.changes_uncertain.append(others)
                self.alive -= others

    def settle_change(self, went_through: bool) -> None:
        """After a restart: whether the unanswered change committed (which password works) decides."""
        with self.lock:
            for cookies in self.changes_uncertain:
                (self.ended if went_through else self.alive).update(cookies)
            self.changes_uncertain.clear()

    def check(self, url: str) -> tuple[int, int, int]:
        """(sessions lost, sessions revived, sessions checked), asked of the server with each cookie."""
        with self.lock:
            alive, ended = list(self.alive), list(self.ended)
        lost = sum(1 for cookie in alive if not _valid(url, cookie))
        revived = sum(1 for cookie in ended if _valid(url, cookie))
        return lost, revived, len(alive) + len(ended)


def _valid(url: str, cookie: str) -> bool:
    for _ in range(3):
        try:
            status = requests.get(url + "/api/v1/auth/verify", cookies={COOKIE: cookie},
                                  headers={"X-Forwarded-For": address()}, timeout=TIMEOUT).status_code
        except requests.RequestException:
            time.sleep(0.5)
            continue
        if status in (204, 401):
            return status == 204
        time.sleep(0.5)  # a 503 while the database recovers: ask again
    raise RuntimeError("verify gave no answer")


def browsing(client: Client, ledger: Ledger, password: str, stop: threading.Event, keep_every: int = 3) -> None:
    """Sign in, look at a few pages, sign out (every `keep_every`th session is kept), until `stop`."""
    rng, count = random.Random(id(client)), 0
    while not stop.is_set():
        cookie = client.sign_in(password)
        if cookie is None:
            stop.wait(0.2)
            continue
        ledger.signed_in(cookie)
        count += 1
        for _ in range(rng.randint(1, 4)):
            client.call("GET /", "GET", "/")
            client.call("GET /verify", "GET", "/api/v1/auth/verify")
        if count % keep_every:
            ledger.signed_out(cookie, client.sign_out() is True)
        client.http.cookies.clear()
