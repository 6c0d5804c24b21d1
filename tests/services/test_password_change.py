"""Changing the master password: the service, then the /password page."""

import logging

import pytest

from app.extensions import db
from app.models import LoginSession
from app.security.passwords import PasswordRejected
from app.services import login_sessions, master_password, password_change
from tests.support.app import PASSWORD, count_rows, csrf_token, stored_hash

NEW = "a brand new master password"


def cookie_value(response):
    header = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("gatehouse_session="))
    return header.split(";")[0].split("=", 1)[1]


def live_ids(app):
    with app.app_context():
        return {s.id for s in login_sessions.active()}


def test_service_keeps_only_the_fresh_session(app):
    with app.app_context():
        old = login_sessions.create(login_sessions.BROWSER, None, None)
        token = login_sessions.create(login_sessions.API, None, None, "ci")
        assert login_sessions.validate(old.token) and login_sessions.validate(token.token)  # both cached
        fresh = password_change.change(PASSWORD, NEW, NEW, "192.0.2.1", "test")
        assert fresh is not None and fresh.token not in (old.token, token.token)
        assert login_sessions.validate(old.token) is None and login_sessions.validate(token.token) is None
        assert login_sessions.validate(fresh.token).id == fresh.row.id
        assert master_password.check(NEW) and not master_password.check(PASSWORD)


def test_service_wrong_current_changes_nothing_and_is_logged(app, caplog):
    before = stored_hash(app)
    with app.app_context(), caplog.at_level(logging.WARNING, "gatehouse"):
        assert password_change.change("not the current one", NEW, NEW, "192.0.2.9", None) is None
    assert stored_hash(app) == before and count_rows(app) == 0
    assert any(getattr(r, "event", None) == "login_failed" and r.client_ip == "192.0.2.9" for r in caplog.records)


@pytest.mark.parametrize("new, confirm", [("too short", "too short"), (NEW, NEW + "x"), ("nul\x00" + NEW, "nul\x00" + NEW)])
def test_service_rules_are_checked_before_the_password(app, caplog, new, confirm):
    before = stored_hash(app)
    with app.app_context(), caplog.at_level(logging.INFO, "gatehouse"):
        with pytest.raises(PasswordRejected):
            password_change.change(PASSWORD, new, confirm, None, None)
    assert stored_hash(app) == before and count_rows(app) == 0
    assert not [r for r in caplog.records if getattr(r, "event", "").startswith("login")]


def test_page_needs_a_session(client):
    assert client.get("/password").location == "/login?next=/password"
    assert client.post("/password", data={}).status_code == 400  # CSRF is checked first
    response = client.post("/password", data={"csrf_token": csrf_token(client), "current": PASSWORD, "new": NEW, "confirm": NEW})
    assert response.status_code == 303 and response.location == "/login?next=/password"


def test_page_shows_the_form(client, auth):
    auth.login()
    body = client.get("/password").get_data(as_text=True)
    assert 'name="csrf_token"' in body and 'autocomplete="new-password"' in body
    assert 'autocomplete="current-password"' in body and 'minlength="15"' in body


def post_change(client, current=PASSWORD, new=NEW, confirm=NEW, **extra):
    data = {"csrf_token": csrf_token(client, "/password"), "current": current, "new": new, "confirm": confirm, **extra}
    return client.post("/password", data=data)


def test_success_rotates_this_browser_and_ends_every_other_session(client, auth, app):
    old_cookie = cookie_value(auth.login())
    with app.app_context():
        other = login_sessions.create(login_sessions.API, None, None, "script")
    response = post_change(client)
    assert response.status_code == 303 and response.location == "/"
    assert cookie_value(response) != old_cookie
    assert "Every other session has been signed out." in client.get("/").get_data(as_text=True)
    assert len(live_ids(app)) == 1 and other.row.id not in live_ids(app)
    replay = app.test_client()
    replay.set_cookie("gatehouse_session", old_cookie)
    assert replay.get("/").status_code == 303
    fresh = app.test_client()
    assert fresh.post("/login", data={"csrf_token": csrf_token(fresh), "password": PASSWORD}).status_code == 401
    new_address = {"REMOTE_ADDR": "192.0.2.77"}  # the failure above holds 127.0.0.1 back for 0.5 s
    assert fresh.post("/login", data={"csrf_token": csrf_token(fresh), "password": NEW}, environ_base=new_address).status_code == 303


def test_wrong_current_is_403_and_changes_nothing(client, auth, app):
    auth.login()
    before, ids = stored_hash(app), live_ids(app)
    response = post_change(client, current="definitely not it")
    assert response.status_code == 403 and b"The current password is incorrect." in response.data
    assert stored_hash(app) == before and live_ids(app) == ids and count_rows(app) == 1
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("new, confirm, message", [
    ("short", "short", b"at least 15 characters"),
    (NEW, "something else entirely", b"do not match"),
    ("with a NUL \x00 character inside", "with a NUL \x00 character inside", b"NUL"),
])
def test_rule_breaking_new_password_is_400(client, auth, app, new, confirm, message):
    auth.login()
    before = stored_hash(app)
    response = post_change(client, new=new, confirm=confirm)
    assert response.status_code == 400 and message in response.data
    assert stored_hash(app) == before and count_rows(app) == 1


def test_missing_fields_and_missing_csrf(client, auth, app):
    auth.login()
    before = stored_hash(app)
    assert client.post("/password", data={"current": PASSWORD, "new": NEW, "confirm": NEW}).status_code == 400
    assert client.post("/password", data={"csrf_token": csrf_token(client, "/password")}).status_code == 400
    assert stored_hash(app) == before
    with app.app_context():
        assert db.session.query(LoginSession).filter(LoginSession.revoked_at.isnot(None)).count() == 0


def test_nav_links_to_password(client, auth):
    auth.login()
    assert 'href="/password"' in client.get("/").get_data(as_text=True)
