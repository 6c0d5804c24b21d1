"""Flask's cookie session as app/web/cookie_session.py writes it: a first visit's CSRF-only session as
the signed secret alone, everything else Flask's way, the same headers as Flask's own interface."""

from __future__ import annotations

import re
import pytest
from flask import Response
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import validate_csrf

from app.security.signing import KeyedTimestampSigner
from app.web.cookie_session import CookieSessionInterface
from tests.support.app import PASSWORD, SECRET, csrf_token

COMPACT = re.compile(r"gatehouse_csrf=([0-9a-f]{40})\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+; HttpOnly; Path=/; SameSite=Lax$")


def csrf_cookie(response) -> str | None:
    found = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("gatehouse_csrf=")]
    return found[0] if found else None


def test_a_first_visit_gets_the_secret_alone_signed_and_a_form_token_for_it(app, client):
    response = client.get("/login")
    cookie = csrf_cookie(response)
    match = COMPACT.fullmatch(cookie)
    assert match, cookie  # the secret itself, timestamped and signed: no JSON, no zlib
    assert response.headers["Vary"] == "Cookie"
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.get_data(as_text=True)).group(1)
    with app.test_request_context(headers={"Cookie": cookie.split(";")[0]}):
        from flask import session

        assert session["csrf_token"] == match.group(1)
        validate_csrf(token)  # flask-wtf's own check: the token belongs to this cookie's secret
    assert client.post("/login", data={"csrf_token": token, "password": "wrong"}).status_code == 401  # past CSRF


def test_the_cookie_attributes_are_flasks(app):
    """The same Set-Cookie as Flask's interface writes for that session, but for the value."""
    ours, stock = app.session_interface, SecureCookieSessionInterface()
    with app.test_request_context():
        headers = []
        for interface in (ours, stock):
            session = interface.session_class()
            session["csrf_token"] = "a" * 40
            response = Response()
            interface.save_session(app, session, response)
            headers.append([(k, v.split("=", 1)[0] + "; " + v.split(";", 1)[1] if k == "Set-Cookie" else v)
                            for k, v in response.headers])
        assert headers[0] == headers[1]


def test_a_forged_secret_is_no_secret(app, client):
    """The form's own token, with the secret in its cookie swapped under the same signature: the
    signature fails, the session is empty, the POST is refused (400) and nothing is checked."""
    token = csrf_token(client)
    value = client.get_cookie("gatehouse_csrf").value
    forged = app.test_client()
    forged.set_cookie("gatehouse_csrf", ("0" if value[0] != "0" else "1") + value[1:])
    assert forged.post("/login", data={"csrf_token": token, "password": PASSWORD}).status_code == 400
    assert client.post("/login", data={"csrf_token": token, "password": "wrong"}).status_code == 401  # the real one


def test_the_previous_key_reads_the_cookie_and_an_unknown_key_does_not(make_app, app, client):
    value = csrf_cookie(client.get("/login")).split(";")[0].split("=", 1)[1]
    rotated = make_app(GATEHOUSE_SECRET_KEY="the-new-secret-key-of-enough-length-xx", GATEHOUSE_SECRET_KEY_PREVIOUS=SECRET)
    stranger = make_app(GATEHOUSE_SECRET_KEY="another-secret-key-of-enough-length-xx")
    for other, kept in ((rotated, True), (stranger, False)):
        with other.test_request_context(headers={"Cookie": f"gatehouse_csrf={value}"}):
            from flask import session

            assert (session.get("csrf_token") == value[:40]) is kept


def test_a_cookie_older_than_the_session_lifetime_is_refused(app):
    interface: CookieSessionInterface = app.session_interface

    class Aged(KeyedTimestampSigner):
        def get_timestamp(self):
            return super().get_timestamp() - int(app.permanent_session_lifetime.total_seconds()) - 10

    keys = interface.get_signing_serializer(app).secret_keys
    aged = Aged(keys, salt="gatehouse.csrf-secret", digest_method=interface._signers(app)[1].digest_method)
    fresh = interface._signers(app)[1]
    for signer, kept in ((fresh, True), (aged, False)):
        value = signer.sign("b" * 40).decode()
        with app.test_request_context(headers={"Cookie": f"gatehouse_csrf={value}"}):
            from flask import session

            assert ("csrf_token" in session) is kept


def test_more_than_the_secret_is_written_flasks_way_and_read_back(app, client):
    """A flashed message beside the secret: Flask's format; once it is shown, the secret alone again."""
    client.get("/login")
    with client.session_transaction() as session:
        secret = session["csrf_token"]
        session["_flashes"] = [("message", "You have been signed out.")]
    stored = client.get_cookie("gatehouse_csrf").value
    assert not re.match(r"[0-9a-f]{40}\.", stored)
    assert app.session_interface.get_signing_serializer(app).loads(stored)["csrf_token"] == secret
    page = client.get("/login")  # the flash is shown and taken: the session holds the secret alone again
    assert b"You have been signed out." in page.data
    assert COMPACT.fullmatch(csrf_cookie(page)).group(1) == secret


def test_a_cookie_written_before_this_format_still_counts(app, client):
    """A Flask-format cookie holding only the secret (what every browser has from earlier versions)."""
    value = SecureCookieSessionInterface().get_signing_serializer(app).dumps({"csrf_token": "c" * 40})
    client.set_cookie("gatehouse_csrf", value)
    with client.session_transaction() as session:
        assert session["csrf_token"] == "c" * 40
    token = csrf_token(client)
    assert client.post("/login", data={"csrf_token": token, "password": "wrong"}).status_code == 401  # past CSRF


@pytest.mark.parametrize("vary", [None, "Accept-Encoding", "Cookie", "cookie, Accept"])
@pytest.mark.parametrize("change", ["none", "read", "set", "secret", "emptied"])
def test_headers_are_flasks_in_every_case(app, change, vary):
    """`Vary` and `Set-Cookie` exactly as Flask's own interface writes them (cookie values aside)."""
    results = []
    for interface in (app.session_interface, SecureCookieSessionInterface()):
        session = interface.session_class({"csrf_token": "d" * 40} if change == "emptied" else {})
        if change == "read":
            session.get("_flashes")
        elif change == "set":
            session["x"] = 1
        elif change == "secret":
            session["csrf_token"] = "e" * 40
        elif change == "emptied":
            session.pop("csrf_token")
        response = Response(headers={"Vary": vary} if vary else None)
        with app.test_request_context():
            interface.save_session(app, session, response)
        results.append([(k, v.split("=", 1)[0] + ";" + v.split(";", 1)[-1] if k == "Set-Cookie" else v)
                        for k, v in response.headers])
    assert results[0] == results[1]
