"""Passkeys over HTTP: add one on /two-factor, sign in with it alone or as the second step,
remove it; every failed assertion is a failed check for the limiter."""

from __future__ import annotations

import base64
import json
import re

import pytest

from app.services import passkeys
from tests.support.app import PASSWORD, csrf_token
from tests.support.passkeys import SoftAuthenticator
from tests.support.sessions import newest_methods
from tests.support.ratelimit import with_clock
from tests.support.two_factor import code_clock, enable_codes

ORIGIN, RP_ID = "http://localhost", "localhost"  # the test client's host; cookies are not Secure in tests


def challenge_of(options: dict) -> bytes:
    text = options["challenge"]
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def post_json(client, path, body, token):
    return client.post(path, data=body, content_type="application/json", headers={"X-CSRFToken": token})


def add_passkey(client, key: SoftAuthenticator, name: str = "Laptop", password: str = PASSWORD):
    token = csrf_token(client, "/two-factor")
    options = client.post("/two-factor/passkeys/options", data={"password": password, "name": name},
                          headers={"X-CSRFToken": token})
    if options.status_code != 200:
        return options
    return post_json(client, "/two-factor/passkeys", key.create(challenge_of(options.get_json())), token)


def passkey_sign_in(client, key: SoftAuthenticator, path: str = "/login/passkey", page: str = "/login", **tamper):
    token = csrf_token(client, page)
    options = client.post("/login/passkey/options", headers={"X-CSRFToken": token})
    assert options.status_code == 200 and options.get_json()["userVerification"] == "required"
    return post_json(client, path, key.get(challenge_of(options.get_json()), **tamper), token)


@pytest.fixture
def key():
    return SoftAuthenticator(RP_ID, ORIGIN)


@pytest.fixture
def enrolled(app, client, auth, key):
    """The admin's browser, signed in, with the passkey `key` added; returns a fresh anonymous client."""
    auth.login()
    response = add_passkey(client, key)
    assert response.status_code == 200 and response.get_json() == {"next": "/two-factor"}
    return app.test_client()


def test_added_passkey_is_listed_with_its_name(client, enrolled):
    page = client.get("/two-factor").get_data(as_text=True)
    assert "Laptop" in page and "never used" in page and 'id="passkey-add"' in page


def test_remove_asks_first(client, enrolled):
    """The remove button is inside a closed <details> after a word of what it does: no inline script."""
    page = client.get("/two-factor").get_data(as_text=True)
    item = re.search(r'<ul class="passkeys">.*?</ul>', page, re.S).group(0)
    asking = re.search(r'<details class="remove">\s*<summary aria-label="Remove passkey Laptop">.*?</details>', item, re.S)
    assert asking and "will no longer sign you in" in asking.group(0) and 'type="submit"' in asking.group(0)
    assert item.count('type="submit"') == asking.group(0).count('type="submit"') == 1


def test_adding_needs_the_current_password_and_a_wrong_one_counts(app, client, auth, key):
    with_clock(app)
    auth.login()
    response = add_passkey(client, key, password="not the password at all")
    assert response.status_code == 403 and response.get_json() == {
        "error": "passkey_refused", "message": "The current password is incorrect.", "field": "password"}
    again = add_passkey(client, key)
    assert again.status_code == 429  # inside the backoff of that failure: nothing checked
    with app.app_context():
        assert passkeys.count() == 0


def test_finish_without_options_is_refused(client, auth, key):
    auth.login()
    token = csrf_token(client, "/two-factor")
    response = post_json(client, "/two-factor/passkeys", key.create(b"x" * 32), token)
    assert response.status_code == 400 and "Start again" in response.get_json()["message"]


def test_passkey_signs_in_on_its_own_and_goes_to_next(enrolled, key):
    response = passkey_sign_in(enrolled, key, path="/login/passkey?next=/sessions")
    assert response.status_code == 200 and response.get_json() == {"next": "/sessions"}
    assert enrolled.get_cookie("gatehouse_session") is not None
    assert enrolled.get_cookie("gatehouse_device") is not None
    assert enrolled.get("/").status_code == 200
    assert newest_methods(enrolled.application) == ("passkey",)


def test_an_off_site_next_goes_home(enrolled, key):
    response = passkey_sign_in(enrolled, key, path="/login/passkey?next=//evil.test/")
    assert response.get_json() == {"next": "/"}


def test_a_failed_assertion_counts_and_the_next_try_waits(app, enrolled, key):
    with_clock(app)
    response = passkey_sign_in(enrolled, key, origin="https://evil.test")
    assert response.status_code == 401 and enrolled.get_cookie("gatehouse_session") is None
    assert passkey_sign_in(enrolled, key).status_code == 429


def test_an_answer_cannot_be_replayed(app, enrolled, key):
    token = csrf_token(enrolled, "/login")
    options = enrolled.post("/login/passkey/options", headers={"X-CSRFToken": token}).get_json()
    answer = key.get(challenge_of(options))
    assert post_json(enrolled, "/login/passkey", answer, token).status_code == 200
    other = app.test_client()
    token = csrf_token(other, "/login")
    assert post_json(other, "/login/passkey", answer, token).status_code == 401  # no challenge in that browser


def test_a_copy_of_the_registration_cookie_registers_nothing_more(app, client, auth, key):
    """Issue 22, on 0702507: the cookie saved before the answer registered more passkeys for 120 s,
    each without the password, and a passkey alone signs in."""
    auth.login()
    token = csrf_token(client, "/two-factor")
    options = client.post("/two-factor/passkeys/options", data={"password": PASSWORD, "name": "Laptop"},
                          headers={"X-CSRFToken": token}).get_json()
    saved = client.get_cookie("gatehouse_csrf").value  # the browser's signed session, challenge inside
    assert post_json(client, "/two-factor/passkeys", key.create(challenge_of(options)), token).status_code == 200
    client.set_cookie("gatehouse_csrf", saved)
    intruder = SoftAuthenticator(RP_ID, ORIGIN)
    replayed = post_json(client, "/two-factor/passkeys", intruder.create(challenge_of(options)), token)
    assert replayed.status_code == 400 and "used already" in replayed.get_json()["message"]
    with app.app_context():
        assert [row.name for row in passkeys.listing()] == ["Laptop"]
    assert passkey_sign_in(app.test_client(), intruder).status_code == 401


def test_a_registration_challenge_cannot_sign_in(enrolled, key, client):
    token = csrf_token(client, "/two-factor")
    options = client.post("/two-factor/passkeys/options", data={"password": PASSWORD, "name": "Phone"},
                          headers={"X-CSRFToken": token}).get_json()
    answer = key.get(challenge_of(options))
    assert post_json(client, "/login/passkey", answer, token).status_code == 401


def test_passkey_completes_the_code_step(app, monkeypatch, client, key):
    code_clock(monkeypatch)
    enable_codes(app)
    browser = app.test_client()
    token = csrf_token(browser, "/login")
    step = browser.post("/login", data={"csrf_token": token, "password": PASSWORD, "next": "/sessions"})
    assert step.status_code == 303 and step.headers["Location"].endswith("/login/code")
    assert 'id="passkey-verify"' in browser.get("/login/code").get_data(as_text=True)
    with app.app_context():  # a passkey registered earlier (the service, as the page would)
        challenge, rp = passkeys.Challenge(b"c" * 32, passkeys.utcnow()), passkeys.RelyingParty(RP_ID, ORIGIN)
        passkeys.registration_options(rp, challenge)
        passkeys.register(rp, challenge, key.create(challenge.value), "Key")
    response = passkey_sign_in(browser, key, page="/login/code")
    assert response.status_code == 200 and response.get_json() == {"next": "/sessions"}
    assert browser.get("/login/code").status_code == 303  # the pending step is finished
    assert newest_methods(app) == ("password", "passkey")


def test_removed_passkey_no_longer_signs_in(app, client, enrolled, key):
    with app.app_context():
        [row] = passkeys.listing()
    token = csrf_token(client, "/two-factor")
    response = client.post(f"/two-factor/passkeys/{row.id}/delete", data={"csrf_token": token})
    assert response.status_code == 303
    assert client.post(f"/two-factor/passkeys/{row.id}/delete", data={"csrf_token": token}).status_code == 404
    assert passkey_sign_in(enrolled, key).status_code == 401


def test_cli_disable_removes_passkeys(app, enrolled):
    runner = app.test_cli_runner()
    assert "Passkeys: 1" in runner.invoke(args=["two-factor", "status"]).output
    result = runner.invoke(args=["two-factor", "disable", "--yes"])
    assert result.exit_code == 0 and "1 passkey removed; " in result.output
    with app.app_context():
        assert passkeys.count() == 0


def test_options_answer_json_and_store_nothing_for_strangers(app):
    anonymous = app.test_client()
    token = csrf_token(anonymous, "/login")
    options = anonymous.post("/login/passkey/options", headers={"X-CSRFToken": token})
    assert options.status_code == 200 and json.loads(options.data)["rpId"] == RP_ID
    assert anonymous.post("/login/passkey/options").status_code == 400  # no CSRF token


def test_passkey_events_are_in_the_activity(app, client, enrolled, key):
    assert passkey_sign_in(enrolled, key, origin="https://evil.test").status_code == 401
    with_clock(app).advance(60)
    assert passkey_sign_in(enrolled, key).status_code == 200
    page = client.get("/activity").get_data(as_text=True)
    assert "passkey added: Laptop" in page and "Wrong code" in page and page.count("passkey") >= 3


def test_a_passkey_signs_a_live_session_in_again_instead_of_starting_another(app, client, enrolled, key):
    """The reauth form's passkey button (an access rule's max_age, docs/access.md): the session
    the browser presents gets a fresh sign-in; no new session, no new cookie."""
    from app.services import login_sessions

    cookie = client.get_cookie("gatehouse_session").value
    with app.app_context():
        before = {row.id for row in login_sessions.active()}
    response = passkey_sign_in(client, key, path="/login/passkey?rd=&next=/sessions", page="/login?reauth=1")
    assert response.status_code == 200 and response.get_json() == {"next": "/sessions"}
    assert not [c for c in response.headers.getlist("Set-Cookie") if c.startswith("gatehouse_session=")]
    assert client.get_cookie("gatehouse_session").value == cookie
    with app.app_context():
        assert {row.id for row in login_sessions.active()} == before
    assert newest_methods(app) == ("passkey",)


def test_keep_me_signed_in_applies_to_a_passkey_sign_in(app, enrolled, key):
    from app.services import login_sessions

    response = passkey_sign_in(enrolled, key, path="/login/passkey?next=/sessions&remember=1")
    assert response.status_code == 200 and response.get_json() == {"next": "/sessions"}
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("gatehouse_session="))
    assert 30 * 86400 - 60 <= int(cookie.split("Max-Age=")[1].split(";")[0]) <= 30 * 86400
    with app.app_context():
        kept = [s.remember for s in login_sessions.active() if s.kind == login_sessions.BROWSER]
    assert sorted(kept) == [False, True]  # the enrolling browser's ordinary one, and this one
