"""The pages as a person meets them: errors in our words with a way forward, the 429 sign-in
form, fields tied to their errors, notices after sign-out, icons and the nav."""

from __future__ import annotations

import re

import pytest

from app.web.error_pages import wait_in_words
from tests.support.app import CSRF_RE, PASSWORD, csrf_token


def attribute(page: str, element_id: str, name: str) -> str | None:
    tag = re.search(rf'<input[^>]*\bid="{element_id}"[^>]*>', page).group(0)
    match = re.search(rf'\b{name}(?:="([^"]*)")?', tag)
    return None if match is None else (match.group(1) if match.group(1) is not None else "")


@pytest.mark.parametrize(("seconds", "words"), [
    (0.2, "in a moment"), (1, "in a moment"), (2, "in a moment"), (3, "in 3 seconds"), (59, "in 59 seconds"),
    (60, "in 1 minute"), (61, "in 2 minutes"), (894, "in 15 minutes"), (900, "in 15 minutes"),
    (3600, "in 60 minutes"), (3601, "in 61 minutes"), (7200, "in 2 hours"), (7201, "in 3 hours"),
])
def test_wait_in_words_rounds_up(seconds, words):
    assert wait_in_words(seconds) == words


def test_wrong_password_is_tied_to_the_field_and_focuses_it(client):
    token = csrf_token(client)
    response = client.post("/login", data={"csrf_token": token, "password": "wrong", "next": "/sessions"})
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert attribute(page, "password", "aria-invalid") == "true"
    assert attribute(page, "password", "aria-describedby") == "password-error"
    assert attribute(page, "password", "autofocus") is not None
    assert re.search(r'id="password-error"[^>]*>Incorrect password.<', page)
    assert 'name="next" type="hidden" value="/sessions"' in page


def test_login_form_names_the_account_for_password_managers(client):
    page = client.get("/login").get_data(as_text=True)
    assert re.search(r'<input type="text" name="username" value="admin" autocomplete="username" hidden>', page)
    assert attribute(page, "password", "autocomplete") == "current-password"
    assert attribute(page, "password", "aria-invalid") is None


def test_quick_retry_gets_the_login_form_with_429(make_app):
    app = make_app(GATEHOUSE_LOGIN_BACKOFF=(30.0,))
    with app.app_context():
        from app.services import master_password

        master_password.set_first(PASSWORD)
    client = app.test_client()
    token = csrf_token(client)
    form = {"csrf_token": token, "password": "wrong", "next": "/sessions"}
    assert client.post("/login", data=form).status_code == 401
    response = client.post("/login", data=form)
    page = response.get_data(as_text=True)
    wait = response.headers["Retry-After"]
    assert response.status_code == 429 and wait in ("29", "30")  # whole seconds, rounded up
    assert f"Try again in {wait} seconds." in page and "<h1>Sign in</h1>" in page
    assert 'name="next" type="hidden" value="/sessions"' in page and CSRF_RE.search(page)
    assert attribute(page, "password", "autofocus") is not None
    assert "Too Many Requests" not in page and "gatehouse unblock" not in page  # a backoff, not a block


def test_no_free_check_slot_gets_the_login_form_with_503(client, app):
    slots = app.extensions["gatehouse.limiter"].slots
    held = 0
    while slots.acquire(trusted=False, wait=0):
        held += 1
    try:
        form = {"csrf_token": csrf_token(client), "password": PASSWORD, "next": "/sessions"}
        response = client.post("/login", data=form)
    finally:
        for _ in range(held):
            slots.release(trusted=False)
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert "Gatehouse is busy checking other sign-ins. Try again in a moment." in page
    assert 'name="next" type="hidden" value="/sessions"' in page and "<h1>Sign in</h1>" in page


def test_ban_is_said_in_minutes(make_app):
    app = make_app(GATEHOUSE_LOGIN_BACKOFF=(0.0,), GATEHOUSE_LOGIN_BAN=(2, 894))
    with app.app_context():
        from app.services import master_password

        master_password.set_first(PASSWORD)
    client = app.test_client()
    form = {"csrf_token": csrf_token(client), "password": "wrong", "next": "/"}
    for _ in range(2):
        assert client.post("/login", data=form).status_code == 401
    response = client.post("/login", data=form)
    assert response.status_code == 429 and response.headers["Retry-After"] in ("893", "894")
    page = response.get_data(as_text=True)
    assert "Try again in 15 minutes." in page and "<code>gatehouse unblock 127.0.0.1</code>" in page


def test_csrf_failure_in_our_words_with_a_way_back(client):
    client.get("/login?next=/sessions")
    referer = {"Referer": "http://localhost/login?next=/sessions"}
    response = client.post("/login", data={"password": "x"}, headers=referer)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This form has expired" in page and "CSRF" not in page
    assert 'href="/login?next=/sessions">Reload the page and try again<' in page
    assert "GATEHOUSE_COOKIE_SECURE" not in page  # cookies are not Secure in this app


@pytest.mark.parametrize(("origin", "hinted"), [
    ("http://gatehouse.lan:8000", True), ("https://gatehouse.example", False),
])
def test_secure_cookies_over_plain_http_get_a_hint(make_app, origin, hinted):
    app = make_app(GATEHOUSE_COOKIE_SECURE=True)
    with app.app_context():
        from app.services import master_password

        master_password.set_first(PASSWORD)
    client = app.test_client()
    # Over plain HTTP the browser never sends the Secure cookie back: the form's CSRF secret is missing.
    response = client.post("/login", data={"password": PASSWORD}, headers={"Origin": origin})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "CSRF" not in page
    if hinted:
        assert "This page needs HTTPS" in page and "<code>GATEHOUSE_COOKIE_SECURE=0</code>" in page
        assert 'href="https://gatehouse.lan/login">Open it over HTTPS<' in page
    else:
        assert "This form has expired" in page and "GATEHOUSE_COOKIE_SECURE" not in page


def test_error_pages_have_our_words_and_a_way_forward(client, auth):
    page = client.get("/no/such/page").get_data(as_text=True)
    assert "Page not found" in page and 'href="/">Go to the start page<' in page
    assert "The requested URL was not found" not in page
    response = client.put("/login")
    assert response.status_code == 405 and "Not possible here" in response.get_data(as_text=True)
    auth.login()
    response = client.post("/sessions/999/revoke", data={"csrf_token": csrf_token(client, "/sessions")})
    assert response.status_code == 404 and "No live session has that id." in response.get_data(as_text=True)


def test_sign_out_says_so_and_logout_signed_out_offers_sign_in(client, auth):
    auth.login()
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/logout")}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == "/login" and "You have been signed out." in page
    page = client.get("/logout").get_data(as_text=True)
    assert "You are not signed in" in page and "Sign out</button>" not in page


def test_password_page_says_api_tokens_end_too(client, auth):
    auth.login()
    page = client.get("/password").get_data(as_text=True)
    assert "API tokens" in page and 'autocomplete="username"' in page


def test_nav_marks_the_current_page(client, auth):
    auth.login()
    page = client.get("/sessions").get_data(as_text=True)
    assert re.search(r'<a href="/sessions" aria-current="page">Sessions</a>', page)
    assert not re.search(r'<a href="/"[^>]*aria-current', page)


def test_icons_are_served_and_linked(client):
    page = client.get("/login").get_data(as_text=True)
    for href in re.findall(r'<link rel="(?:icon|apple-touch-icon)" href="([^"]+)"', page):
        assert client.get(href).status_code == 200, href
    response = client.get("/favicon.ico", follow_redirects=True)
    assert response.status_code == 200 and response.mimetype == "image/png"


@pytest.mark.parametrize(("rd", "kept"), [
    ("https://grafana.example.org/d/abc", "https://grafana.example.org/d/abc"),
    ("https://evil.test/", None),
])
def test_429_form_keeps_an_allowed_rd_and_drops_a_foreign_one(make_app, rd, kept):
    portal = "https://auth.example.org"
    app = make_app(GATEHOUSE_COOKIE_SECURE=True, GATEHOUSE_PUBLIC_URL=portal, GATEHOUSE_COOKIE_DOMAIN="example.org",
                   GATEHOUSE_LOGIN_BACKOFF=(30.0,))
    with app.app_context():
        from app.services import master_password

        master_password.set_first(PASSWORD)
    client = app.test_client()
    page = client.get("/login", base_url=portal).get_data(as_text=True)
    form = {"csrf_token": CSRF_RE.search(page).group(1), "password": "wrong", "rd": rd}
    headers = {"Referer": portal + "/login"}
    assert client.post("/login", data=form, base_url=portal, headers=headers).status_code == 401
    response = client.post("/login", data=form, base_url=portal, headers=headers)
    page = response.get_data(as_text=True)
    assert response.status_code == 429 and "Try again in" in page
    if kept:
        assert f'name="rd" type="hidden" value="{kept}"' in page
    else:  # replaced by the start page, as the sign-in itself would
        assert "evil.test" not in page and 'name="rd" type="hidden" value="/"' in page
