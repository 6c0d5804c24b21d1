"""The process faults (faults/run.py; the store faults are faults/outages.py): each starts its own
Gatehouse, runs browsers against it, breaks it, lets it recover, and returns a `Result`: the
answers (5xx other than 503 must be 0), sessions lost and revived (both must be 0), and how many
seconds serving took to come back after each fault."""

from __future__ import annotations

import random
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from faults.stack import Gatehouse
from faults.traffic import Base, Client, Ledger, Tally, address, browsing

PASSWORD = "the faults suite's master password"
OTHER = "the faults suite's other password"
BROWSERS = 4
SERVER = {"GATEHOUSE_TRUSTED_PROXIES": "127.0.0.1"}  # browsers send their own X-Forwarded-For


@dataclass
class Result:
    name: str
    tally: Tally = field(default_factory=Tally)
    ledger: Ledger = field(default_factory=Ledger)
    lost: int = 0
    revived: int = 0
    checked: int = 0  # sessions whose state was asked of the server at the end (held, and ended)
    recovery: list = field(default_factory=list)  # seconds, one per fault
    recovery_limit: float = 10.0  # seconds: more is a failure (kill -9: the dead instance's lease lapses first)
    neither: int = 0  # restarts after which not exactly one of the two passwords worked
    cut: int = 0  # requests already being served when the fault came that never got an answer
    note: str = ""
    skipped: str = ""
    error: str = ""  # the scenario itself failed (a sign-in that never came back, ...)

    @property
    def passed(self) -> bool:
        slow = max(self.recovery, default=0.0) > self.recovery_limit
        return self.skipped != "" or not (self.tally.bad or self.lost or self.revived or self.neither or self.cut
                                          or slow or self.error)


@contextmanager
def browsers(gatehouse: Gatehouse, result: Result, password: str = PASSWORD, count: int = BROWSERS):
    """`count` browsers signing in and out until the block ends; yields where they send requests."""
    base, stop = Base(gatehouse.url), threading.Event()
    threads = [threading.Thread(target=browsing, args=(Client(base, result.tally), result.ledger, password, stop))
               for _ in range(count)]
    for thread in threads:
        thread.start()
    try:
        yield base
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)


def signs_in(url: str, password: str = PASSWORD, ip: str | None = None) -> bool:
    """Whether an API sign-in with `password` (from `ip`, else an address of its own) succeeds."""
    try:
        return requests.post(url + "/api/v1/auth/token", json={"password": password},
                             headers={"X-Forwarded-For": ip or address()}, timeout=10).status_code == 200
    except requests.RequestException:
        return False


def until_signed_in(url: str, password: str = PASSWORD, timeout: float = 90, ip: str | None = None) -> float:
    """Seconds until a sign-in with `password` (from `ip`) succeeds."""
    started = time.monotonic()
    while not signs_in(url, password, ip):
        if time.monotonic() - started > timeout:
            raise AssertionError(f"no sign-in for {timeout}s")
        time.sleep(0.1)
    return time.monotonic() - started


def finish(result: Result, gatehouse: Gatehouse) -> Result:
    lost, revived, result.checked = result.ledger.check(gatehouse.url)
    result.lost += lost
    result.revived += revived
    gatehouse.stop()
    return result


def kill9_browsing(folder: Path, kills: int = 3) -> Result:
    """kill -9 (master and worker) at random moments while browsers sign in, browse and sign out."""
    result = Result("kill -9 during sign-ins and sign-outs", recovery_limit=30)
    gatehouse = Gatehouse(folder, PASSWORD, **SERVER)
    with browsers(gatehouse, result) as base:
        for _ in range(kills):
            time.sleep(random.uniform(2, 4))
            gatehouse.kill9()
            result.recovery.append(gatehouse.restart())
            base.url = gatehouse.url
        time.sleep(2)
    return finish(result, gatehouse)


class Admin(threading.Thread):
    """Changes the password back and forth, with two other browsers signed in before each change."""

    def __init__(self, base: Base, result: Result) -> None:
        super().__init__()
        self.base, self.result = base, result
        self.current, self.unanswered = PASSWORD, None  # the password now; a change the crash cut off
        self.stop, self.paused = threading.Event(), threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            if self.paused.is_set() or self.unanswered:
                self.stop.wait(0.1)
                continue
            self.change_once()

    def change_once(self) -> None:
        ledger, client = self.result.ledger, Client(self.base, self.result.tally)
        cookie = client.sign_in(self.current)
        if cookie is None:
            return
        ledger.signed_in(cookie)
        for _ in range(2):  # the sessions the change must end
            other = Client(self.base, self.result.tally).sign_in(self.current)
            if other:
                ledger.signed_in(other)
        new = OTHER if self.current == PASSWORD else PASSWORD
        token = client.form_token("/password")
        if token is None:
            return
        answer = client.call("POST /password", "POST", "/password",
                             data={"csrf_token": token, "current": self.current, "new": new, "confirm": new})
        if answer is not None and answer.status_code == 303:
            ledger.changed_password(client.http.cookies.get("gatehouse_session"), answered=True)
            self.current = new
        elif answer is None:
            ledger.changed_password(None, answered=False)
            self.unanswered = new

    def after_restart(self, url: str) -> bool:
        """Which password works now settles a change the crash cut off; False if neither does."""
        old, new = signs_in(url, PASSWORD), signs_in(url, OTHER)
        if self.unanswered:
            went_through = (new if self.unanswered == OTHER else old)
            self.result.ledger.settle_change(went_through)
            if went_through:
                self.current = self.unanswered
            self.unanswered = None
        return old != new  # exactly one of them


def kill9_password_changes(folder: Path, kills: int = 4) -> Result:
    """kill -9 at random moments while the admin changes the password back and forth (some land
    inside a change): afterwards exactly one password works, and what a change revoked stays so."""
    result = Result("kill -9 during password changes", recovery_limit=30)
    gatehouse = Gatehouse(folder, PASSWORD, **SERVER)
    base = Base(gatehouse.url)
    admin, exactly_one = Admin(base, result), 0
    admin.start()
    try:
        for _ in range(kills):
            time.sleep(random.uniform(0.5, 2.5))
            gatehouse.kill9()
            admin.paused.set()
            result.recovery.append(gatehouse.restart())
            base.url = gatehouse.url
            exactly_one += admin.after_restart(gatehouse.url)
            admin.paused.clear()
        time.sleep(1)
    finally:
        admin.stop.set()
        admin.join(60)
    result.neither = kills - exactly_one
    result.note = f"exactly one password worked after {exactly_one} of {kills} kills"
    return finish(result, gatehouse)


def sigterm_drain(folder: Path) -> Result:
    """SIGTERM while sign-ins are being checked (bcrypt cost 13, from browsers with a device cookie,
    so a check slot waits for them): each one in flight gets its answer, then a restart serves."""
    result = Result("SIGTERM drain")
    gatehouse = Gatehouse(folder, PASSWORD, GATEHOUSE_BCRYPT_ROUNDS="13", **SERVER)
    answers: list = []
    with browsers(gatehouse, result, count=2) as base:
        slow = [Client(base, result.tally) for _ in range(2)]
        for client in slow:  # a device cookie: trusted, it waits for a check slot (the browsers take the other)
            until = time.monotonic() + 30
            while client.http.cookies.get("gatehouse_device") is None and time.monotonic() < until:
                client.sign_in(PASSWORD)
            client.http.cookies.pop("gatehouse_session", None)  # and signed out again: the form is served
        tokens = [client.form_token("/login") for client in slow]

        def sign_in(client: Client, token: str) -> None:
            try:
                answers.append(client.http.post(base.url + "/login", data={"csrf_token": token, "password": PASSWORD},
                                                allow_redirects=False, timeout=30).status_code)
            except requests.RequestException as exc:
                answers.append(type(exc).__name__)

        in_flight = [threading.Thread(target=sign_in, args=pair) for pair in zip(slow, tokens)]
        for thread in in_flight:
            thread.start()
        time.sleep(0.3)  # their checks are running
        gatehouse.sigterm()
        for thread in in_flight:
            thread.join(30)
        result.recovery.append(gatehouse.restart())
        base.url = gatehouse.url
        time.sleep(2)
    for answer in answers:
        if isinstance(answer, int):
            result.tally.add("in flight at SIGTERM", answer)
        else:
            result.tally.failed(requests.ConnectionError(answer))
            result.cut += 1
    result.note = f"sign-ins in flight at SIGTERM answered: {answers}"
    if any(isinstance(answer, int) and answer != 303 for answer in answers):
        result.error = f"a sign-in meant to be in flight was refused ({answers}): the drain was not exercised"
    return finish(result, gatehouse)
