"""The per-address rules (docs/security.md): backoff, 429 + Retry-After, no check while blocked, reset, fade, ban."""

from __future__ import annotations

import logging

from tests.support.ratelimit import PASSWORD, Browser, fail_spaced, retry_after, with_clock


def test_first_failure_blocks_for_the_first_backoff_step(app):
    clock = with_clock(app)
    browser = Browser(app)
    assert browser.login().status_code == 401
    blocked = browser.login()
    assert blocked.status_code == 429 and retry_after(blocked) == 1  # 0.5 s rounded up
    assert b"Too many failed attempts" in blocked.data and b"Traceback" not in blocked.data
    clock.advance(0.5)
    assert browser.login().status_code == 401


def test_backoff_grows_then_repeats_its_last_step(make_app):
    app = make_app(GATEHOUSE_LOGIN_BACKOFF=(1.0, 2.0, 4.0), GATEHOUSE_LOGIN_BAN=(50, 900))
    with app.app_context():
        from app.services import master_password

        master_password.set_first(PASSWORD)
    clock = with_clock(app)
    browser = Browser(app)
    seen = []
    for _ in range(5):
        assert browser.login().status_code == 401
        seen.append(retry_after(browser.login()))
        clock.advance(seen[-1])
    assert seen == [1, 2, 4, 4, 4]


def test_retry_after_is_remaining_seconds_rounded_up(app):
    clock = with_clock(app)
    browser = Browser(app)
    for step in (0.5, 1):
        assert browser.login().status_code == 401
        clock.advance(step)
    assert browser.login().status_code == 401  # the third failure: blocked for 2 s
    clock.advance(0.3)
    assert retry_after(browser.login()) == 2  # 1.7 s left
    clock.advance(1.0)
    assert retry_after(browser.login()) == 1  # 0.7 s left


def test_correct_password_while_blocked_is_429_and_not_checked(app, caplog):
    with_clock(app)
    browser = Browser(app)
    browser.login()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="gatehouse"):
        response = browser.login(PASSWORD)
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert not browser.client.get_cookie("gatehouse_session")
    assert "login succeeded" not in caplog.text and "login failed" not in caplog.text


def test_success_resets_the_count(app):
    clock = with_clock(app)
    browser = Browser(app)
    fail_spaced(browser, clock, 4)
    assert browser.login(PASSWORD).status_code == 303
    other = Browser(app)  # no device cookie: judged by the address again
    assert other.login().status_code == 401
    assert retry_after(other.login()) == 1  # back to the first step, not the fifth


def test_counts_fade_after_fifteen_minutes(app):
    clock = with_clock(app)
    browser = Browser(app)
    fail_spaced(browser, clock, 4)
    clock.advance(900)
    assert browser.login().status_code == 401
    assert retry_after(browser.login()) == 1


def test_ban_tier_after_ten_consecutive_failures(app, caplog):
    clock = with_clock(app)
    browser = Browser(app)
    for _ in range(9):
        assert browser.login().status_code == 401
        clock.advance(5)
    with caplog.at_level(logging.WARNING, logger="gatehouse"):
        assert browser.login().status_code == 401
    assert "sign-in blocked for 900 s: 198.51.100.7" in caplog.text
    assert retry_after(browser.login()) == 900
    clock.advance(899)
    assert browser.login(PASSWORD).status_code == 429
    clock.advance(1)
    assert browser.login(PASSWORD).status_code == 303


def test_blocks_are_per_address_and_ipv6_is_keyed_by_its_64(app):
    with_clock(app)
    browser = Browser(app)
    browser.login(ip="2001:db8:1:2::1")
    assert browser.login(ip="2001:db8:1:2:ffff::9").status_code == 429
    assert browser.login(ip="2001:db8:1:3::1").status_code == 401
    assert browser.login(ip="203.0.113.5").status_code == 401
    assert browser.login(ip="::ffff:203.0.113.5").status_code == 429  # IPv4-mapped is the same client


def test_refusals_of_a_blocked_64_are_recorded_as_that_one_client(app):
    """The activity counts refusals per client as the limiter keys it (issue 22: per address on 0702507,
    up to 100 rows a minute from one /64)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import SignInEvent
    from app.services import activity

    with_clock(app)
    browser = Browser(app)
    browser.login(ip="2001:db8:1:2::1")
    for i in range(40):
        assert browser.login(ip=f"2001:db8:1:2:{i:x}::9").status_code == 429
    with app.app_context():
        activity.flush()
        blocked = db.session.scalars(select(SignInEvent).where(SignInEvent.kind == activity.BLOCKED)).all()
    assert {row.ip for row in blocked} == {"2001:db8:1:2::/64"} and sum(row.count for row in blocked) == 40


def test_forwarded_for_from_an_untrusted_peer_does_not_escape_a_block(app):
    with_clock(app)
    browser = Browser(app)
    browser.login(ip="198.51.100.7", xff="10.0.0.1")
    for fake in ("10.0.0.2", "192.0.2.99, 10.0.0.3", "2001:db8::5"):
        assert browser.login(ip="198.51.100.7", xff=fake).status_code == 429


def test_trusted_proxy_forwarded_for_names_the_client(make_app):
    import ipaddress

    app = make_app(GATEHOUSE_TRUSTED_PROXIES=(ipaddress.ip_network("127.0.0.1/32"),))
    with app.app_context():
        from app.services import master_password

        master_password.set_first(PASSWORD)
    with_clock(app)
    browser = Browser(app)
    assert browser.login(ip="127.0.0.1", xff="203.0.113.1").status_code == 401
    assert browser.login(ip="127.0.0.1", xff="203.0.113.1").status_code == 429
    assert browser.login(ip="127.0.0.1", xff="203.0.113.2").status_code == 401
    assert browser.login(ip="127.0.0.1", xff="203.0.113.1, 203.0.113.3").status_code == 401  # rightmost counts


def test_failure_log_line_names_the_real_client(make_app, caplog):
    import ipaddress

    app = make_app(GATEHOUSE_TRUSTED_PROXIES=(ipaddress.ip_network("127.0.0.1/32"),))
    with app.app_context():
        from app.services import master_password

        master_password.set_first(PASSWORD)
    with caplog.at_level(logging.WARNING, logger="gatehouse"):
        Browser(app).login(ip="127.0.0.1", xff="192.0.2.1, 203.0.113.77")
    assert "login failed from 203.0.113.77" in caplog.text


def test_refused_forms_are_not_counted(app):
    with_clock(app)
    browser = Browser(app)
    for _ in range(3):
        forged = browser.client.post("/login", data={"password": "guess"}, environ_base={"REMOTE_ADDR": "198.51.100.7"})
        assert forged.status_code == 400  # no CSRF token: refused before any check, and not counted
    assert browser.login(PASSWORD).status_code == 303
