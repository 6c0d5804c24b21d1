"""A session records how it was signed in and when it last authenticated (access rules and OpenID
claims ask): password alone, password and a code, password and a recovery code, over the form
and the API; a password change keeps what the asking browser had."""

import pytest

from app.services import login_sessions
from tests.support.app import PASSWORD, csrf_token
from tests.support.sessions import newest_methods
from tests.support.two_factor import NOW, code_clock, code_for, enable_codes


@pytest.fixture
def codes_on(app, monkeypatch):
    secret, recovery = enable_codes(app)
    clock = code_clock(monkeypatch, NOW + 30)  # the enrolling code (at NOW) is spent
    return secret, recovery, clock


def test_password_alone(app, auth):
    auth.login()
    assert newest_methods(app) == ("password",)


def test_password_and_code_then_a_password_change_keeps_them(app, client, codes_on):
    secret, _recovery, clock = codes_on
    client.post("/login", data={"csrf_token": csrf_token(client), "password": PASSWORD, "next": "/"})
    client.post("/login/code", data={"csrf_token": csrf_token(client, "/login"), "code": code_for(secret, clock.now)})
    assert newest_methods(app) == ("password", "code")
    new = "another long passphrase here"
    changed = client.post("/password", data={"csrf_token": csrf_token(client, "/password"), "current": PASSWORD,
                                             "new": new, "confirm": new})
    assert changed.status_code == 303 and newest_methods(app) == ("password", "code")


def test_recovery_code_over_the_api(app, client, codes_on):
    _secret, recovery, _clock = codes_on
    response = client.post("/api/v1/auth/token", json={"password": PASSWORD, "code": recovery[0]})
    assert response.status_code == 200 and newest_methods(app) == ("password", "recovery_code")


def test_authenticated_at_starts_at_creation_and_the_cache_carries_it(app):
    with app.app_context():
        started = login_sessions.create(login_sessions.BROWSER, None, None, methods=("passkey",))
        entry = login_sessions.validate(started.token)
        assert entry.methods == ("passkey",) and login_sessions.has_second_factor(entry.methods)
        assert entry.authenticated_at == started.row.created_at and entry.remember is False
        assert not login_sessions.has_second_factor(("password",))
