"""With codes on, no path makes a session from the password alone (SPEC §11): each door, tried."""

import pytest

from app.services import login as login_service
from app.services import login_sessions, two_factor
from tests.support.app import PASSWORD, csrf_token
from tests.support.ratelimit import with_clock
from tests.support.two_factor import NOW, code_clock, code_for, enable_codes, live_sessions

NEW = "a brand new master password"


@pytest.fixture
def codes_on(app, monkeypatch):
    secret, recovery = enable_codes(app)
    return secret, recovery, code_clock(monkeypatch, NOW + 30)


def session_cookies(response):
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith("gatehouse_session=")]


def test_form_login_with_a_code_field_still_asks_for_the_code(client, codes_on):
    secret, _recovery, clock = codes_on
    response = client.post("/login", data={"csrf_token": csrf_token(client), "password": PASSWORD, "next": "/",
                                           "code": code_for(secret, clock.now)})
    assert response.location == "/login/code" and not session_cookies(response)


@pytest.mark.parametrize("route", ["login", "token"])
def test_api_needs_the_code(app, client, codes_on, route):
    response = client.post(f"/api/v1/auth/{route}", json={"password": PASSWORD})
    assert response.status_code == 401 and not session_cookies(response) and "token" not in response.get_json()
    assert live_sessions(app) == 0


def test_setup_makes_no_session(fresh_app):
    client = fresh_app.test_client()
    token = csrf_token(client, "/setup")  # the GET also writes the setup code
    code = (fresh_app.config["GATEHOUSE_INSTANCE_DIR"] / "setup-code").read_text().strip()
    response = client.post("/setup", data={"csrf_token": token, "code": code,
                                           "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 303 and response.location == "/login" and not session_cookies(response)
    assert live_sessions(fresh_app) == 0
    assert client.get("/setup").status_code == 404  # and the door closes behind it


def test_password_page_needs_a_session_that_passed_the_code(app, client, codes_on):
    """Anonymous: sent to sign in, nothing checked, no cookie. Signed in with the code: the
    change gives this browser its fresh cookie, and codes stay on for the next sign-in."""
    secret, _recovery, clock = codes_on
    response = client.post("/password", data={"csrf_token": csrf_token(client), "current": PASSWORD, "new": NEW,
                                              "confirm": NEW})
    assert response.status_code == 303 and response.location.startswith("/login") and not session_cookies(response)
    assert live_sessions(app) == 0

    client.post("/login", data={"csrf_token": csrf_token(client), "password": PASSWORD, "next": "/"})
    client.post("/login/code", data={"csrf_token": csrf_token(client), "code": code_for(secret, clock.now)})
    response = client.post("/password", data={"csrf_token": csrf_token(client, "/password"), "current": PASSWORD,
                                              "new": NEW, "confirm": NEW})
    assert response.status_code == 303 and session_cookies(response)
    assert client.get("/").status_code == 200 and live_sessions(app) == 1
    other = app.test_client()
    with_clock(app)
    assert other.post("/api/v1/auth/token", json={"password": NEW}).get_json()["error"] == "code_required"


def test_cli_set_password_makes_no_session(app, runner, codes_on):
    result = runner.invoke(args=["set-password", "--stdin"], input=NEW + "\n")
    assert result.exit_code == 0 and live_sessions(app) == 0
    with app.app_context():
        assert two_factor.required()  # a new password does not turn the second factor off


def test_the_login_service_has_no_password_only_sign_in(app, codes_on):
    with app.test_request_context():
        assert login_service.password_step(PASSWORD, None, None).code_owed
        assert login_service.sign_in(PASSWORD, None, None, None, login_sessions.API).refused == "code_required"
    assert live_sessions(app) == 0
