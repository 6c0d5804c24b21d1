"""Limiter state: bounded memory, survives a restart, `gatehouse unblock`, and touches only password checks."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import LoginFailure, LoginLimit
from app.ratelimit.limits import LocalLimits
from app.ratelimit.redis_limits import RedisLimits
from app.services import master_password
from tests.support.app import PASSWORD
from tests.support.ratelimit import Browser, fail_spaced, retry_after, with_clock


def rows(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def with_password(app):
    with app.app_context():
        master_password.set_first(PASSWORD)
    return app


def test_each_store_builds_its_limits(app, limiter_store, request):
    limits = app.extensions["gatehouse.limiter"].limits
    if limiter_store == "redis":
        assert isinstance(limits, RedisLimits) and limits.prefix == request.getfixturevalue("redis_prefix") + "limit:"
    else:
        assert isinstance(limits, LocalLimits)


@pytest.mark.limiter_stores("memory")  # the in-process tracker and its tables; Redis keys expire (test_redis_limits)
def test_tracked_clients_stay_bounded_however_many_addresses_fail(make_app):
    app = with_password(make_app(GATEHOUSE_LOGIN_MAX_CLIENTS=50, GATEHOUSE_LOGIN_GLOBAL=(100_000, 3600)))
    clock = with_clock(app)
    browser = Browser(app)
    for n in range(300):
        assert browser.login(ip=f"10.1.{n // 256}.{n % 256}").status_code == 401
        clock.advance(0.01)
    assert len(app.extensions["gatehouse.limiter"].limits.tracker.records) == 50
    assert rows(app, LoginLimit) == 50  # evicted records are deleted from the database too
    assert browser.login(ip="10.1.1.43").status_code == 429  # the most recent (n=299) are still held


@pytest.mark.limiter_stores("memory")  # the in-process store's tables (empty with Redis)
def test_global_window_rows_stay_bounded(make_app):
    app = with_password(make_app(GATEHOUSE_LOGIN_GLOBAL=(5, 60)))
    clock = with_clock(app)
    browser = Browser(app)
    for n in range(20):
        browser.login(ip=f"10.2.0.{n}")
        clock.advance(20)
    assert rows(app, LoginFailure) <= 3


@pytest.mark.limiter_stores("memory")  # the in-process store's tables (empty with Redis)
def test_faded_rows_are_pruned_from_the_database(app):
    clock = with_clock(app)
    browser = Browser(app)
    browser.login(ip="10.4.0.1")
    assert rows(app, LoginLimit) == 1 and rows(app, LoginFailure) == 1
    clock.advance(3600)
    browser.login(ip="10.4.0.2")
    with app.app_context():
        assert db.session.scalars(select(LoginLimit.key)).all() == ["ip:10.4.0.2"]
    assert rows(app, LoginFailure) == 1


def test_blocks_survive_a_restart(make_app):
    first = with_password(make_app())
    clock = with_clock(first)
    browser = Browser(first)
    fail_spaced(browser, clock, 10, ip="198.51.100.7")
    second = make_app()  # a new process on the same database
    with_clock(second).now = clock.now
    again = Browser(second)
    response = again.login(PASSWORD, ip="198.51.100.7")
    assert response.status_code == 429 and retry_after(response) == 900 - 5


def test_unblock_one_address_also_lets_it_past_the_global_budget(app):
    clock = with_clock(app)
    browser = Browser(app)
    for n in range(100):
        browser.login(ip=f"10.3.0.{n}")
        clock.advance(1)
    assert browser.login(PASSWORD, ip="192.0.2.1").status_code == 429
    result = app.test_cli_runner().invoke(args=["unblock", "192.0.2.1"])
    assert result.exit_code == 0 and "192.0.2.1" in result.output
    assert browser.login(PASSWORD, ip="192.0.2.1").status_code == 303
    assert Browser(app).login(PASSWORD, ip="192.0.2.2").status_code == 429  # everyone else still waits


def test_unblock_says_whether_the_address_was_blocked(app):
    clock = with_clock(app)
    runner = app.test_cli_runner()
    never = runner.invoke(args=["unblock", "192.0.2.9"])
    assert never.exit_code == 0 and "192.0.2.9 was not blocked and had no failed attempts" in never.output
    assert "unblocked" not in never.output
    browser = Browser(app)
    browser.login(ip="192.0.2.8")
    clock.advance(1)  # the 0.5 s backoff is over; the failure still counts
    counted = runner.invoke(args=["unblock", "192.0.2.8"])
    assert "192.0.2.8 was not blocked; its failed attempts are forgotten" in counted.output
    fail_spaced(browser, clock, 10, ip="192.0.2.7")
    assert browser.login(PASSWORD, ip="192.0.2.7").status_code == 429
    lifted = runner.invoke(args=["unblock", "192.0.2.7"])
    assert lifted.exit_code == 0 and "Sign-in from 192.0.2.7 is unblocked." in lifted.output
    assert browser.login(PASSWORD, ip="192.0.2.7").status_code == 303


def test_unblock_all_from_another_process_reaches_the_running_server(make_app):
    server = with_password(make_app())
    clock = with_clock(server)
    browser = Browser(server)
    fail_spaced(browser, clock, 10)
    cli_app = make_app()
    result = cli_app.test_cli_runner().invoke(args=["unblock", "--all"])
    assert result.exit_code == 0 and rows(cli_app, LoginLimit) == 0
    clock.advance(1)  # the server looks for changes at most once a second
    assert browser.login(PASSWORD).status_code == 303


def test_unblock_needs_exactly_one_valid_target(app):
    runner = app.test_cli_runner()
    for args in (["unblock"], ["unblock", "1.2.3.4", "--all"], ["unblock", "not-an-ip"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 2 and "Traceback" not in result.output


def test_limiter_ignores_pages_static_files_and_404s(app):
    with_clock(app)
    browser = Browser(app)
    for _ in range(2):
        browser.login(ip="198.51.100.7")
    assert browser.login(ip="198.51.100.7").status_code == 429
    client, env = browser.client, {"REMOTE_ADDR": "198.51.100.7"}
    assert client.get("/login", environ_base=env).status_code == 200
    assert client.get("/static/css/gatehouse.css", environ_base=env).status_code == 200
    assert client.post("/no-such-page", environ_base=env).status_code == 404
    assert client.get("/healthz", environ_base=env).status_code == 200


def test_setup_code_guesses_are_limited(fresh_app):
    with_clock(fresh_app)
    client = fresh_app.test_client()
    client.get("/setup")
    from tests.support.app import CSRF_RE

    token = CSRF_RE.search(client.get("/setup").get_data(as_text=True)).group(1)
    data = {"csrf_token": token, "code": "wrong", "password": PASSWORD, "confirm": PASSWORD}
    assert client.post("/setup", data=data).status_code == 403
    blocked = client.post("/setup", data=data)
    assert blocked.status_code == 429 and retry_after(blocked) == 1


@pytest.mark.limiter_stores("memory")  # about the views, no store involved
def test_every_password_check_in_the_spec_is_guarded(app):
    """Every route that checks a secret carries `@limiter.guarded` (docs/security.md, "Login limiter")."""
    spec = {"/login", "/setup", "/password", "/api/v1/auth/login", "/api/v1/auth/token"}
    found = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules() if rule.rule in spec and "POST" in rule.methods}
    assert set(found) == spec
    unguarded = [rule for rule, endpoint in found.items() if not hasattr(app.view_functions[endpoint], "gatehouse_guard")]
    assert unguarded == []
    assert not hasattr(app.view_functions["account.home"], "gatehouse_guard")


def test_the_failure_that_spends_the_global_budget_is_published_once(make_app):
    """`limiter_tripped` "budget spent" (docs/notifications.md), on both stores: at the failure that
    spends the budget, with how long until a place frees; not before, and again once it refilled."""
    from app import signals

    app = with_password(make_app(GATEHOUSE_LOGIN_GLOBAL=(3, 600)))
    heard = []
    signals.limiter_tripped.connect(lambda _s, event: heard.append(event), sender=app, weak=False)
    clock = with_clock(app)
    for n in range(2):
        assert Browser(app).login(ip=f"10.5.0.{n}").status_code == 401
        clock.advance(10)
    assert heard == []
    assert Browser(app).login(ip="10.5.0.2").status_code == 401
    assert [(e.what, e.client, e.seconds) for e in heard] == [("budget spent", None, 580)]
    assert Browser(app).login(ip="10.5.0.3").status_code == 429  # refused: no check, nothing published
    clock.advance(581)  # the first failure left the window: one place
    assert Browser(app).login(ip="10.5.0.4").status_code == 401
    assert [e.what for e in heard] == ["budget spent", "budget spent"]
