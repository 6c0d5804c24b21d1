"""The early refusal (app/ratelimit/shedding.py): what the worker's main loop may answer itself,
from a request's raw bytes, while no check slot is free for a client without a trusted device.
The worker side (held answers, kept-alive connections) runs in real gunicorn:
tests/e2e/test_early_refusal.py."""

from __future__ import annotations

import json

import pytest

from tests.conftest import PASSWORD
from tests.support.ratelimit import Browser

pytestmark = pytest.mark.limiter_stores("memory")  # slots are per process whatever the store


def raw(path: str = "/login", body: bytes = b"csrf_token=x&password=guess", *, method: str = "POST",
        version: str = "HTTP/1.1", headers: dict[str, str] | None = None, length: int | None = None) -> bytes:
    sent = {"Host": "127.0.0.1", "Content-Type": "application/x-www-form-urlencoded",
            "Content-Length": str(len(body) if length is None else length), **(headers or {})}
    head = f"{method} {path} {version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in sent.items()) + "\r\n"
    return head.encode() + body


@pytest.fixture
def busy(app):
    """The app with every check slot for untrusted clients taken (as during a flood)."""
    slots = app.extensions["gatehouse.limiter"].slots
    taken = 0
    while slots.acquire(trusted=False, wait=0):
        taken += 1
    assert taken == slots.untrusted_total
    yield app
    for _ in range(taken):
        slots.release(trusted=False)


def split(answer: bytes) -> tuple[str, dict[str, str], bytes]:
    head, body = answer.split(b"\r\n\r\n", 1)
    status, *lines = head.decode("latin-1").split("\r\n")
    return status, dict(line.split(": ", 1) for line in lines), body


def test_nothing_is_answered_early_while_a_slot_is_free(app):
    assert app.answer_early(raw()) is None


def test_a_guess_without_a_device_is_refused_with_the_apps_own_503_page(busy):
    status, headers, body = split(busy.answer_early(raw()))
    assert status == "HTTP/1.1 503 SERVICE UNAVAILABLE" and headers["Retry-After"] == "1"
    assert int(headers["Content-Length"]) == len(body) and headers["Content-Type"].startswith("text/html")
    # Every response's headers (docs/security.md), as the WSGI wrapper adds them, and a Date.
    assert headers["Cache-Control"] == "no-store" and headers["X-Frame-Options"] == "DENY"
    assert headers["Content-Security-Policy"].startswith("default-src 'self'") and headers["Date"].endswith(" GMT")
    page = body.decode()
    assert "Not available just now" in page and "Try again in a moment." in page and 'href="/login"' in page


def test_the_json_api_gets_its_json_503(busy):
    status, headers, body = split(busy.answer_early(raw("/api/v1/auth/token", b'{"password": "guess"}',
                                                        headers={"Content-Type": "application/json"})))
    assert status.startswith("HTTP/1.1 503") and headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"] == "unavailable"


def test_the_early_answer_is_what_the_app_answers_then(busy):
    """Same status, Retry-After and body words as the app's own refusal of that request."""
    early = split(busy.answer_early(raw("/api/v1/auth/token", b'{"password": "guess"}')))
    response = busy.test_client().post("/api/v1/auth/token", json={"password": "guess"})
    assert response.status_code == 503 and early[0].startswith("HTTP/1.1 503")
    assert response.headers["Retry-After"] == early[1]["Retry-After"] and response.get_json() == json.loads(early[2])


def test_a_trusted_device_goes_on_to_the_app(busy):
    browser = Browser(busy)
    slots = busy.extensions["gatehouse.limiter"].slots
    slots.release(trusted=False)  # room for the one sign-in that earns the device cookie
    assert browser.login(PASSWORD).status_code == 303
    assert slots.acquire(trusted=False, wait=0)
    device = browser.device_cookie()
    cookie = f"gatehouse_csrf=abc; gatehouse_device={device.value}"
    assert busy.answer_early(raw(headers={"Cookie": cookie})) is None
    # A device cookie of an older password still goes on: the app decides what it names.
    assert busy.answer_early(raw(headers={"Cookie": f"gatehouse_device={device.value}"})) is None


@pytest.mark.parametrize("cookie", [
    "gatehouse_device=forged.value.here",
    "gatehouse_device=",
    "other=1; xgatehouse_device=abc",
    "gatehouse_device=" + "a" * 400,
])
def test_a_forged_or_empty_device_cookie_is_refused_like_none(busy, cookie):
    assert busy.answer_early(raw(headers={"Cookie": cookie})) is not None


@pytest.mark.parametrize("request_bytes", [
    raw(method="GET", body=b""),  # the form itself
    raw("/logout"),  # not guarded
    raw("/healthz"),
    raw("/login/", b"x"),  # another path: the app decides (404 or redirect)
    raw(version="HTTP/1.0"),  # no keep-alive by default: gunicorn answers it
    raw(headers={"Connection": "close"}),
    raw(headers={"Transfer-Encoding": "chunked"}),
    raw(length=3),  # the body is longer than announced: a second request behind it
    raw() + raw(),  # pipelined
    raw(length=999),  # incomplete
    raw(headers={"Content-Length": "abc"}),
    raw(headers={"Bad Header": "x"}),
    b"POST /login HTTP/1.1\nHost: x\n\n",  # bare LF line ends
    b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n" + raw(),
])
def test_anything_else_goes_on_to_the_app(busy, request_bytes):
    assert busy.answer_early(request_bytes) is None


def test_query_strings_do_not_hide_the_path(busy):
    assert busy.answer_early(raw("/login?next=/sessions")) is not None


def test_every_guarded_form_and_api_route_without_arguments_is_covered(app):
    assert app.answer_early.paths >= {"/login", "/login/code", "/password", "/api/v1/auth/login",
                                      "/api/v1/auth/token", "/setup"}
    assert "/logout" not in app.answer_early.paths


def test_refusals_are_counted_and_summed_up_in_one_line_a_minute(busy, caplog, monkeypatch):
    from app.ratelimit import shedding
    from app.runtime import metrics

    before = metrics.LOGIN_BUSY._value.get()
    refusal = busy.answer_early
    refusal.logged_at -= shedding.LOG_EVERY - 3600  # the last line was written just now
    caplog.set_level("WARNING", logger="gatehouse.ratelimit")
    for _ in range(3):
        refusal(raw())
    assert not caplog.records
    refusal.logged_at -= 3600  # a minute and more later
    refusal(raw())
    assert metrics.LOGIN_BUSY._value.get() - before == 4
    [line] = caplog.records
    assert line.event == "login_busy" and line.count == 4 and "refused 4 sign-in attempts" in line.getMessage()
