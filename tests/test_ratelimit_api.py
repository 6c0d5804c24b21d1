"""The limiter matches endpoints by name: a stand-in `api.login` view shows how API views report,
and that a blocked API client gets the JSON error. Also the bounded password-check slots."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from app.extensions import csrf, limiter
from app.services import login as login_service
from tests.conftest import PASSWORD
from tests.ratelimit_helpers import Browser, retry_after, with_clock


def add_api_login(app):
    """What the API branch's `api.login` does: check, report once, answer."""
    bp = Blueprint("api", __name__)

    @bp.post("/api/v1/auth/login")
    def login():
        started = login_service.attempt(str(request.get_json().get("password", "")), request.remote_addr, None, "api")
        limiter.report(started is not None)
        return (jsonify(ok=True), 200) if started else (jsonify(error="unauthorized", message="no"), 401)

    csrf.exempt(bp)
    app.register_blueprint(bp)
    return app.test_client()


def test_blocked_api_client_gets_json_429(app):
    with_clock(app)
    client = add_api_login(app)
    assert client.post("/api/v1/auth/login", json={"password": "nope"}).status_code == 401
    response = client.post("/api/v1/auth/login", json={"password": PASSWORD})
    assert response.status_code == 429 and retry_after(response) == 1
    assert response.get_json()["error"] == "rate_limited" and "try again" in response.get_json()["message"]


def test_form_and_api_share_the_address_count(app):
    with_clock(app)
    client = add_api_login(app)
    Browser(app).login(ip="127.0.0.1")
    assert client.post("/api/v1/auth/login", json={"password": PASSWORD}).status_code == 429


def test_api_login_issues_a_device_cookie(app):
    client = add_api_login(app)
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


def test_second_attempt_while_one_is_checked_for_the_same_client_is_429(app):
    state = app.extensions["gatehouse.limiter"]
    state.tracker.busy.add("ip:198.51.100.7")  # as if a check from this address were in flight
    response = Browser(app).login(PASSWORD)
    assert response.status_code == 429 and retry_after(response) == 1
    state.tracker.busy.clear()
    assert Browser(app).login(PASSWORD).status_code == 303
