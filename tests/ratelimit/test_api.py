"""The limiter on the JSON API (a blocked API client gets the JSON error), and the bounded
password-check slots."""

from __future__ import annotations

import pytest

from tests.support.app import PASSWORD
from tests.support.ratelimit import Browser, retry_after, with_clock


def test_blocked_api_client_gets_json_429(app):
    with_clock(app)
    client = app.test_client()
    assert client.post("/api/v1/auth/login", json={"password": "nope"}).status_code == 401
    response = client.post("/api/v1/auth/login", json={"password": PASSWORD})
    assert response.status_code == 429 and retry_after(response) == 1
    assert response.get_json()["error"] == "rate_limited" and "try again" in response.get_json()["message"]


def test_form_and_api_share_the_address_count(app):
    with_clock(app)
    client = app.test_client()
    Browser(app).login(ip="127.0.0.1")
    assert client.post("/api/v1/auth/login", json={"password": PASSWORD}).status_code == 429


def test_api_login_issues_a_device_cookie(app):
    client = app.test_client()
    assert client.post("/api/v1/auth/login", json={"password": PASSWORD}).status_code == 200
    assert client.get_cookie("gatehouse_device") is not None


def test_no_free_check_slot_is_503_with_retry_after_and_counts_nothing(app):
    with_clock(app)
    slots = app.extensions["gatehouse.limiter"].slots
    held = 0
    while slots.acquire(trusted=False, wait=0):
        held += 1
    assert held == 1  # GATEHOUSE_THREADS=4: three checks at once, two of them kept for trusted devices
    browser = Browser(app)
    response = browser.login(PASSWORD)
    assert response.status_code == 503 and retry_after(response) == 1
    assert slots.acquire(trusted=True, wait=0)  # the admin's device still finds its slot
    slots.release(trusted=True)
    for _ in range(held):
        slots.release(trusted=False)
    assert browser.login(PASSWORD).status_code == 303  # the refused attempt left no block behind


@pytest.mark.limiter_stores("memory")  # reaches into the tracker; Redis: tests/ratelimit/test_redis_limits.py
def test_second_attempt_while_one_is_checked_for_the_same_client_is_429(app):
    state = app.extensions["gatehouse.limiter"]
    state.limits.tracker.busy.add("ip:198.51.100.7")  # as if a check from this address were in flight
    response = Browser(app).login(PASSWORD)
    assert response.status_code == 429 and retry_after(response) == 1
    state.limits.tracker.busy.clear()
    assert Browser(app).login(PASSWORD).status_code == 303


def test_token_endpoint_is_limited_too(app):
    with_clock(app)
    client = app.test_client()
    assert client.post("/api/v1/auth/token", json={"password": "a wrong guess"}).status_code == 401
    response = client.post("/api/v1/auth/token", json={"password": PASSWORD})
    assert response.status_code == 429 and "token" not in response.get_json()


def test_current_password_check_on_the_password_page_is_limited(app):
    from tests.support.app import csrf_token

    clock = with_clock(app)
    browser = Browser(app)
    assert browser.login(PASSWORD, ip="127.0.0.1").status_code == 303
    form = {"current": "not the current password", "new": "x" * 20, "confirm": "x" * 20}
    client = browser.client
    assert client.post("/password", data={"csrf_token": csrf_token(client, "/password"), **form}).status_code == 403
    form["current"] = PASSWORD
    response = client.post("/password", data={"csrf_token": csrf_token(client, "/password"), **form})
    assert response.status_code == 429  # judged by this device's own count: one failure, 0.5 s
    clock.advance(1)
    assert client.post("/password", data={"csrf_token": csrf_token(client, "/password"), **form}).status_code == 303
