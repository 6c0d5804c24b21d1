"""The early refusal (app/edge/early_refusal.py): what the worker's main loop may answer itself,
from a request's raw bytes, while no check slot is free for a client without a trusted device.
The worker side (held answers, kept-alive connections) runs in real gunicorn:
tests/e2e/test_early_refusal.py."""

from __future__ import annotations

import ipaddress
import json
import time

import pytest

from app.edge.early import early_answer_of
from app.edge.http_reader import read
from app.extensions import limiter
from app.ratelimit.extension import FLOOD_REFUSALS
from app.services import activity, master_password
from tests.support.app import PASSWORD
from tests.support.ratelimit import Browser, with_clock



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
    assert early_answer_of(app)(read(raw())) is None


def test_a_guess_without_a_device_is_refused_with_the_apps_own_503_page(busy):
    status, headers, body = split(early_answer_of(busy)(read(raw())))
    assert status == "HTTP/1.1 503 SERVICE UNAVAILABLE" and headers["Retry-After"] == "1"
    assert int(headers["Content-Length"]) == len(body) and headers["Content-Type"].startswith("text/html")
    # Every response's headers (docs/security.md), as the WSGI wrapper adds them, and a Date.
    assert headers["Cache-Control"] == "no-store" and headers["X-Frame-Options"] == "DENY"
    assert headers["Content-Security-Policy"].startswith("default-src 'self'") and headers["Date"].endswith(" GMT")
    page = body.decode()
    assert "Not available just now" in page and "Try again in a moment." in page and 'href="/login"' in page


def test_the_json_api_gets_its_json_503(busy):
    status, headers, body = split(early_answer_of(busy)(read(raw("/api/v1/auth/token", b'{"password": "guess"}',
                                                        headers={"Content-Type": "application/json"}))))
    assert status.startswith("HTTP/1.1 503") and headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"] == "unavailable"


def test_the_early_answer_is_what_the_app_answers_then(busy):
    """Same status, Retry-After and body words as the app's own refusal of that request."""
    early = split(early_answer_of(busy)(read(raw("/api/v1/auth/token", b'{"password": "guess"}'))))
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
    assert early_answer_of(busy)(read(raw(headers={"Cookie": cookie}))) is None
    # A device cookie of an older password still goes on: the app decides what it names.
    assert early_answer_of(busy)(read(raw(headers={"Cookie": f"gatehouse_device={device.value}"}))) is None


@pytest.mark.parametrize("cookie", [
    "gatehouse_device=forged.value.here",
    "gatehouse_device=",
    "other=1; xgatehouse_device=abc",
    "gatehouse_device=" + "a" * 400,
])
def test_a_forged_or_empty_device_cookie_is_refused_like_none(busy, cookie):
    assert early_answer_of(busy)(read(raw(headers={"Cookie": cookie}))) is not None


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
    raw(headers={"Content-Length": "²"}),  # isdigit() says yes, int() no: h11 refuses it (the worker's 400)
    raw(headers={"Bad Header": "x"}),
    b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n" + raw(),
])
def test_anything_else_goes_on_to_the_app(busy, request_bytes):
    assert early_answer_of(busy)(read(request_bytes)) is None


def test_a_head_with_bare_line_feeds_is_refused_like_any_guess(busy):
    """h11 reads a bare LF as a line end (RFC 9112 §2.2 lets a recipient do so); gunicorn refuses such a
    head with 400. While busy the guess gets the 503 instead: refused either way, and never a thread."""
    assert split(early_answer_of(busy)(read(b"POST /login HTTP/1.1\nHost: x\n\n")))[0].startswith("HTTP/1.1 503 ")


def test_query_strings_do_not_hide_the_path(busy):
    assert early_answer_of(busy)(read(raw("/login?next=/sessions"))) is not None


def test_every_guarded_form_and_api_route_without_arguments_is_covered(app):
    assert early_answer_of(app).paths >= {"/login", "/login/code", "/password", "/api/v1/auth/login",
                                      "/api/v1/auth/token", "/setup"}
    assert "/logout" not in early_answer_of(app).paths


def test_refusals_are_counted_and_summed_up_in_one_line_a_minute(busy, caplog, monkeypatch):
    from app.edge import early_refusal as shedding
    from app.runtime import metrics

    before = metrics.LOGIN_BUSY._value.get()
    refusal = early_answer_of(busy)
    refusal.logged_at -= shedding.LOG_EVERY - 3600  # the last line was written just now
    caplog.set_level("WARNING", logger="gatehouse.ratelimit")
    for _ in range(3):
        refusal(read(raw()))
    assert not caplog.records
    refusal.logged_at -= 3600  # a minute and more later
    refusal(read(raw()))
    assert metrics.LOGIN_BUSY._value.get() - before == 4
    [line] = caplog.records
    assert line.event == "login_busy" and line.count == 4 and "refused 4 sign-in attempts" in line.getMessage()


# While guesses are being refused: the limiter's own verdict, early. Both stores (the verdict
# is the store's), so these tests run on memory and Redis.

BLOCKED_IP, OTHER_IP = "198.51.100.7", "198.51.100.8"


def limiter_app(make_app, **settings):
    """An app on this test's limiter store, its password set, its clock held (returned too)."""
    app = make_app(**settings)
    clock = with_clock(app)
    with app.app_context():
        master_password.set_first(PASSWORD)
    return app, clock


def refusing(app, ip: str = BLOCKED_IP):
    """A wrong guess from `ip`, then refused ones (its backoff) in flood numbers: guesses are judged early now."""
    browser = Browser(app)
    assert browser.login(ip=ip).status_code == 401
    for _ in range(FLOOD_REFUSALS):
        assert browser.login(ip=ip).status_code == 429
    return browser


@pytest.mark.limiter_stores("memory", "redis")
def test_a_blocked_address_gets_the_apps_429_early_and_others_go_on(make_app):
    app, _clock = limiter_app(make_app)
    refusing(app)
    status, headers, body = split(early_answer_of(app)(read(raw()), (BLOCKED_IP, 40000)))
    assert status.startswith("HTTP/1.1 429") and headers["Retry-After"] == "1"
    assert "Too many attempts" in body.decode() and headers["X-Frame-Options"] == "DENY"
    assert early_answer_of(app)(read(raw()), (OTHER_IP, 40000)) is None  # not blocked: the app checks it
    browser = Browser(app)
    assert browser.login(ip=OTHER_IP).status_code == 401  # its early judgement left no reservation behind


@pytest.mark.limiter_stores("memory", "redis")
def test_a_person_retrying_too_soon_still_gets_the_form_from_the_app(make_app):
    app, _clock = limiter_app(make_app)
    browser = Browser(app)
    assert browser.login(ip=BLOCKED_IP).status_code == 401
    for _ in range(FLOOD_REFUSALS - 1):  # refusals, but not a flood's numbers
        assert browser.login(ip=BLOCKED_IP).status_code == 429
    assert early_answer_of(app)(read(raw()), (BLOCKED_IP, 40000)) is None
    assert 'name="password"' in browser.login(ip=BLOCKED_IP).get_data(as_text=True)


@pytest.mark.limiter_stores("memory", "redis")
def test_a_spent_global_budget_refuses_early_but_not_an_address_the_admin_unblocked(make_app):
    app, _clock = limiter_app(make_app, GATEHOUSE_LOGIN_GLOBAL=(1, 3600))
    assert Browser(app).login(ip=BLOCKED_IP).status_code == 401  # the budget's one failure
    for n in range(FLOOD_REFUSALS):
        assert Browser(app).login(ip=f"198.51.100.{100 + n}").status_code == 429  # refused: budget spent
    status, headers, _body = split(early_answer_of(app)(read(raw()), ("203.0.113.9", 40000)))
    assert status.startswith("HTTP/1.1 429") and int(headers["Retry-After"]) > 3000
    with app.app_context():
        limiter.unblock("203.0.113.9")  # `gatehouse unblock`: exempt from the budget
    assert early_answer_of(app)(read(raw()), ("203.0.113.9", 40000)) is None
    assert Browser(app).login(PASSWORD, ip="203.0.113.9").status_code == 303


@pytest.mark.limiter_stores("memory", "redis")
def test_the_api_gets_json_and_the_address_behind_a_trusted_proxy_counts(make_app):
    app, _clock = limiter_app(make_app, GATEHOUSE_TRUSTED_PROXIES=(ipaddress.ip_network("127.0.0.1/32"),))
    refusing(app)  # as the test client's peer, 198.51.100.7 (not a proxy)
    token = raw("/api/v1/auth/token", b'{"password": "guess"}', headers={"X-Forwarded-For": BLOCKED_IP})
    status, headers, body = split(early_answer_of(app)(read(token), ("127.0.0.1", 40000)))
    assert status.startswith("HTTP/1.1 429") and json.loads(body)["error"] == "rate_limited"
    forged = raw("/api/v1/auth/token", b'{"password": "guess"}', headers={"X-Forwarded-For": OTHER_IP})
    assert early_answer_of(app)(read(forged), ("127.0.0.1", 40000)) is None
    # From an untrusted peer the header is ignored.
    assert early_answer_of(app)(read(forged), (BLOCKED_IP, 40000)) is not None


@pytest.mark.limiter_stores("memory")
def test_early_refusals_are_in_the_sign_in_activity(make_app):
    app, _clock = limiter_app(make_app)
    refusing(app)
    early_answer_of(app)(read(raw(headers={"User-Agent": "flooder/1.0"})), (BLOCKED_IP, 40000))
    with app.app_context():
        activity.flush(time.time() + 3600)
        refused = [e for e in activity.recent() if e.kind == activity.BLOCKED]
    assert sum(e.count for e in refused) == FLOOD_REFUSALS + 1  # the app's refusals and the early one


@pytest.mark.limiter_stores("memory")
def test_a_long_block_says_how_the_admin_lifts_it(make_app):
    app, clock = limiter_app(make_app, GATEHOUSE_LOGIN_BAN=(2, 900))
    browser = refusing(app)
    clock.advance(5)
    assert browser.login(ip=BLOCKED_IP).status_code == 401  # the second failure: 900 s
    _status, headers, body = split(early_answer_of(app)(read(raw()), (BLOCKED_IP, 40000)))
    assert int(headers["Retry-After"]) == 900 and "Try again in 15 minutes" in body.decode()
    assert "<code>gatehouse unblock</code> with this address" in body.decode()
