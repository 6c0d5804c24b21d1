"""Helpers for the limiter tests (tests/ratelimit/): a clock the test moves, and sign-in posts from
chosen addresses."""

from __future__ import annotations

from tests.support.app import PASSWORD, csrf_token

START = 1_900_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def with_clock(app) -> Clock:
    clock = Clock()
    app.extensions["gatehouse.limiter"].clock = clock
    return clock


class Browser:
    """One test client (one cookie jar) that can claim any peer address and X-Forwarded-For."""

    def __init__(self, app) -> None:
        self.client = app.test_client()
        self.token = csrf_token(self.client)

    def login(self, password: str = "wrong password, not it", ip: str = "198.51.100.7", xff: str | None = None):
        headers = {"X-Forwarded-For": xff} if xff else {}
        response = self.client.post(
            "/login", data={"csrf_token": self.token, "password": password, "next": "/"},
            environ_base={"REMOTE_ADDR": ip}, headers=headers,
        )
        if response.status_code == 303 and not response.location.endswith("/login/code"):
            self.token = csrf_token(self.client, "/logout")  # signed in: the CSRF secret was rotated
        return response

    def device_cookie(self):
        return self.client.get_cookie("gatehouse_device")


def fail_spaced(browser: Browser, clock: Clock, times: int, **login) -> None:
    """`times` wrong passwords, 5 s apart on the test clock (each past the previous block)."""
    for _ in range(times):
        browser.login(**login)
        clock.advance(5)


def retry_after(response) -> int:
    return int(response.headers["Retry-After"])


__all__ = ["PASSWORD", "Browser", "Clock", "fail_spaced", "retry_after", "with_clock"]
