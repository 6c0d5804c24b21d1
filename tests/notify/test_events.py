"""Notifications end to end in the app (SPEC §17): each event of docs/notifications.md reaches a
real local receiver (Apprise's JSON webhook to a loopback HTTP server), and nothing else does."""

from __future__ import annotations

import time

import pytest

from app.notify import notifier
from app.services import login_sessions
from tests.support.app import PASSWORD, csrf_token
from tests.support.ratelimit import Browser, with_clock
from tests.support.receiver import HOOK, Receiver
from tests.support.two_factor import NOW, code_clock, enable_codes


@pytest.fixture
def receiver():
    started = Receiver()
    yield started
    started.stop()


@pytest.fixture
def notified(make_app, receiver):
    """An app whose notifications go to `receiver`, with the password set."""
    from app.services import master_password

    app = make_app(GATEHOUSE_NOTIFY_URLS=(receiver.url,), GATEHOUSE_LOGIN_BACKOFF=(0.0,))
    with app.app_context():
        master_password.set_first(PASSWORD)
        notifier().retry_delays = (0.05, 0.05, 0.05)
    return app


def settled(app) -> None:
    """Every queued notification delivered (or given up)."""
    with app.app_context():
        assert notifier().wait_idle(15)


def titles(messages) -> list[str]:
    return [m["title"] for m in messages]


def sign_in(client, ip="198.51.100.7"):
    return client.post("/login", data={"csrf_token": csrf_token(client), "password": PASSWORD, "next": "/"},
                       environ_base={"REMOTE_ADDR": ip}, headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"})


def no_secret_in(messages, *secrets: str) -> None:
    for message in messages:
        text = repr(message)
        for secret in (PASSWORD, *secrets):
            assert secret not in text, (secret, message)


def test_a_sign_in_from_a_new_browser_is_told_and_a_known_one_is_not(notified, receiver):
    client = notified.test_client()
    response = sign_in(client)
    assert response.status_code == 303
    [message] = receiver.wait_for(1)
    assert message["title"].endswith("sign-in from a new browser")
    assert "198.51.100.7" in message["message"] and "Firefox" in message["message"]
    token = client.get_cookie("gatehouse_session").value
    no_secret_in([message], token, client.get_cookie("gatehouse_device").value)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/logout")})
    with notified.app_context():
        notifier().throttle = 0  # not held back by the throttle: only the device cookie decides
    assert sign_in(client).status_code == 303  # this browser now holds a device cookie
    settled(notified)
    assert len(receiver.received) == 1


def test_one_message_per_kind_per_ten_minutes_then_the_held_ones_are_counted(notified, receiver):
    clock = [1000.0]
    with notified.app_context():
        notifier().clock = lambda: clock[0]
    for _ in range(3):
        assert sign_in(notified.test_client()).status_code == 303
    settled(notified)
    assert len(receiver.received) == 1
    clock[0] += 601
    assert sign_in(notified.test_client()).status_code == 303
    first, second = receiver.wait_for(2)
    assert "2 more like this in the last 10 minutes were not sent" in second["message"]


def test_a_sign_in_never_waits_for_the_receiver(notified, receiver):
    receiver.delay = 3.0
    started = time.monotonic()
    assert sign_in(notified.test_client()).status_code == 303
    assert time.monotonic() - started < 1.5
    receiver.wait_for(1)


def test_a_recovery_code_sign_in_is_told_with_how_many_are_left(notified, receiver, monkeypatch):
    _secret, recovery = enable_codes(notified)
    code_clock(monkeypatch, NOW + 30)
    client = notified.test_client()
    assert sign_in(client).location == "/login/code"
    response = client.post("/login/code", data={"csrf_token": csrf_token(client, "/login"), "code": recovery[0]})
    assert response.status_code == 303
    settled(notified)
    message = next(m for m in receiver.received if "recovery code" in m["title"])
    assert "9 recovery codes left" in message["message"] and "not seen before" in message["message"]
    no_secret_in(receiver.received, recovery[0], recovery[0].replace("-", ""))


def test_the_second_factor_turned_off_on_the_page_is_told(notified, receiver, monkeypatch):
    from tests.support.two_factor import code_for

    secret, _recovery = enable_codes(notified)
    clock = code_clock(monkeypatch, NOW + 30)
    client = notified.test_client()
    sign_in(client)
    client.post("/login/code", data={"csrf_token": csrf_token(client, "/login"), "code": code_for(secret, clock.now)})
    code = code_for(secret, clock.now + 30)
    response = client.post("/two-factor/totp/disable", data={"csrf_token": csrf_token(client, "/two-factor"),
                                                              "password": PASSWORD, "code": code})
    assert response.status_code == 303
    settled(notified)
    message = next(m for m in receiver.received if "two-factor sign-in changed" in m["title"])
    assert "turned off" in message["title"] and message["type"] == "failure"
    no_secret_in(receiver.received, code, secret)


def test_the_break_glass_command_is_told(notified, receiver):
    enable_codes(notified)
    result = notified.test_cli_runner().invoke(args=["two-factor", "disable", "--yes"])
    assert result.exit_code == 0, result.output
    settled(notified)
    [message] = [m for m in receiver.received if "on the server" in m["title"]]
    assert "two-factor disable" in message["message"] and "command line" in message["message"]


def test_a_password_change_is_told(notified, receiver):
    client = notified.test_client()
    sign_in(client)
    new = "another master password, long"
    response = client.post("/password", data={"csrf_token": csrf_token(client, "/password"), "current": PASSWORD,
                                              "new": new, "confirm": new})
    assert response.status_code == 303
    settled(notified)
    message = next(m for m in receiver.received if "password was changed" in m["title"])
    assert "from 127.0.0.1" in message["message"]  # the test client's address for that request
    no_secret_in(receiver.received, new)


def test_an_address_blocked_for_the_long_tier_is_told(make_app, receiver):
    from app.services import master_password

    app = make_app(GATEHOUSE_NOTIFY_URLS=(receiver.url,), GATEHOUSE_LOGIN_BACKOFF=(0.0,), GATEHOUSE_LOGIN_BAN=(3, 900))
    with app.app_context():
        master_password.set_first(PASSWORD)
    clock = with_clock(app)
    browser = Browser(app)
    for _ in range(3):
        assert browser.login(ip="203.0.113.5").status_code == 401
        clock.advance(1)
    [message] = receiver.wait_for(1)
    assert message["title"].endswith("203.0.113.5 blocked")
    assert "15 minutes" in message["message"] and "gatehouse unblock 203.0.113.5" in message["message"]


def test_the_global_budget_spent_is_published_and_told(make_app, receiver):
    from app import signals
    from app.services import master_password

    app = make_app(GATEHOUSE_NOTIFY_URLS=(receiver.url,), GATEHOUSE_LOGIN_BACKOFF=(0.0,),
                   GATEHOUSE_LOGIN_GLOBAL=(3, 3600))
    with app.app_context():
        master_password.set_first(PASSWORD)
    heard = []
    signals.limiter_tripped.connect(lambda _s, event: heard.append(event), sender=app, weak=False)
    clock = with_clock(app)
    for number in range(3):
        assert Browser(app).login(ip=f"203.0.113.{10 + number}").status_code == 401
        clock.advance(1)
    assert [(e.what, e.client) for e in heard] == [("budget spent", None)]
    assert 3590 <= heard[0].seconds <= 3600
    assert Browser(app).login(PASSWORD, ip="203.0.113.99").status_code == 429  # spent, indeed
    [message] = receiver.wait_for(1)
    assert "global budget" in message["title"] and message["type"] == "failure"


def test_failed_deliveries_are_retried(notified, receiver):
    receiver.failures = 2
    assert sign_in(notified.test_client()).status_code == 303
    [message] = receiver.wait_for(1)
    assert "new browser" in message["title"] and len(receiver.paths) == 3


def test_a_delivery_that_never_arrives_is_logged_without_the_address(notified, receiver, caplog):
    receiver.failures = 99
    caplog.set_level("INFO", logger="gatehouse.notify")
    assert sign_in(notified.test_client()).status_code == 303
    settled(notified)
    assert len(receiver.paths) == 4  # the first try and three retries
    failed = [r for r in caplog.records if getattr(r, "event", None) == "notify_failed"]
    assert len(failed) == 4 and failed[-1].final is True and "after 4 tries" in failed[-1].getMessage()
    for record in caplog.records:
        text = record.getMessage() + repr(vars(record))
        assert "s3cr3t" not in text and HOOK not in text and str(receiver.port) not in text


def test_without_addresses_nothing_is_queued(app, client):
    with app.app_context():
        assert not notifier().enabled
    assert sign_in(client).status_code == 303
    with app.app_context():
        assert notifier()._thread is None  # no thread was ever started
        assert login_sessions.count_active() == 1
