"""The /two-factor page: enrolment (password → QR code and key → code), recovery codes, turning off."""

import re

from app.models import TotpSecret
from app.extensions import db
from sqlalchemy import select
from tests.support.app import PASSWORD, csrf_token
from tests.support.ratelimit import with_clock
from tests.support.two_factor import RECOVERY_RE, SECRET_RE, code_clock, code_for, enable_codes, wrong_code


def post(client, path, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, "/two-factor"), **data})


def refused(client, path, section, **data) -> str:
    """POST a refused form: 303 back to the page (never left on the POST URL); returns the page
    the browser then gets, which carries the error once, in `section` (opened)."""
    response = post(client, path, **data)
    assert response.status_code == 303 and response.location == "/two-factor"
    page = client.get(response.location).get_data(as_text=True)
    assert re.search(rf'id="{section}"( open)?>', page) or section == "confirm"
    assert 'class="error"' not in page.split("<section", 1)[0]  # nothing at the top of the page
    return page


def error_at(page: str, field_id: str) -> str:
    """The error shown at a field: between its label and the field, which points to it and has
    the focus, inside its section opened (and no other section open)."""
    match = re.search(rf'<details class="action" name="two-factor-action" id="(\w+)" open>((?:(?!</details>).)*)'
                      rf'<p class="field-error" id="{field_id}-error">([^<]*)</p>\s*<input([^>]*)>', page, re.S)
    assert match, f"no error at #{field_id}"
    attributes = match.group(4)
    assert f'id="{field_id}"' in attributes and 'aria-invalid="true"' in attributes
    assert f'aria-describedby="{field_id}-error"' in attributes and "autofocus" in attributes
    assert page.count(" open>") == 1
    return match.group(3)


def test_page_needs_a_session(client):
    assert client.get("/two-factor").location == "/login?next=/two-factor"
    assert client.get("/two-factor/totp/qr.svg").status_code == 303


def test_enrolment_from_password_to_recovery_codes(app, client, auth, monkeypatch):
    clock = code_clock(monkeypatch)
    limiter_clock = with_clock(app)
    other = app.test_client()
    assert other.post("/api/v1/auth/login", json={"password": PASSWORD}).status_code == 200
    auth.login()
    page = client.get("/two-factor").get_data(as_text=True)
    assert "Off" in page and "totp-secret" not in page

    page = refused(client, "/two-factor/totp/begin", "begin", password="not the password, sorry")
    assert error_at(page, "begin-password") == "The current password is incorrect."
    assert "is incorrect" not in client.get("/two-factor").get_data(as_text=True)  # shown once
    limiter_clock.advance(5)
    response = post(client, "/two-factor/totp/begin", password=PASSWORD)
    assert response.status_code == 303 and response.location == "/two-factor"
    page = client.get("/two-factor").get_data(as_text=True)
    secret = SECRET_RE.search(page).group(1)
    assert len(secret) == 32 and 'src="/two-factor/totp/qr.svg"' in page
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    qr = client.get("/two-factor/totp/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and qr.data.startswith(b"<svg")
    assert "no-store" in qr.headers["Cache-Control"]
    with app.app_context():  # stored sealed, not in clear
        assert secret not in db.session.scalar(select(TotpSecret.sealed_secret))

    page = refused(client, "/two-factor/totp/confirm", "confirm", code=wrong_code(secret, clock.now))
    assert re.search(r'<p class="field-error" id="code-error">That code is not right\.[^<]*</p>\s*<input[^>]*'
                     r'aria-invalid="true"', page)
    assert SECRET_RE.search(page).group(1) == secret  # still on the same step
    limiter_clock.advance(5)
    response = post(client, "/two-factor/totp/confirm", code=code_for(secret, clock.now))
    assert response.status_code == 200
    codes = RECOVERY_RE.findall(response.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "no-store" in response.headers["Cache-Control"]

    # This browser stays in; the other session was signed out; the codes are not shown again.
    page = client.get("/two-factor").get_data(as_text=True)
    assert 'id="recovery-left">10<' in page and codes[0] not in page and "totp-secret" not in page
    assert other.get("/api/v1/auth/session").status_code == 401
    assert client.get("/two-factor/totp/qr.svg").status_code == 404


def test_pending_secret_belongs_to_the_session_that_began_it(app, client, auth):
    auth.login()
    post(client, "/two-factor/totp/begin", password=PASSWORD)
    second = app.test_client()
    second.post("/login", data={"csrf_token": csrf_token(second), "password": PASSWORD, "next": "/"})
    assert "totp-secret" not in second.get("/two-factor").get_data(as_text=True)
    assert second.get("/two-factor/totp/qr.svg").status_code == 404
    page = refused(second, "/two-factor/totp/confirm", "begin", code="123456")
    assert '<p class="error" role="alert">Nothing to confirm' in page


def test_regenerate_replaces_the_codes(app, client, auth, monkeypatch):
    secret, old = enable_codes(app)
    code_clock(monkeypatch).advance(30)
    limiter_clock = with_clock(app)
    sign_in_with_code(client, secret, 30)
    page = refused(client, "/two-factor/recovery-codes", "regenerate", password="wrong password, indeed")
    assert error_at(page, "regen-password") == "The current password is incorrect."
    limiter_clock.advance(5)
    response = post(client, "/two-factor/recovery-codes", password=PASSWORD)
    new = RECOVERY_RE.findall(response.get_data(as_text=True))
    assert response.status_code == 200 and len(new) == 10 and not set(new) & set(old)


def test_disable_needs_password_and_code(app, client, monkeypatch):
    secret, codes = enable_codes(app)
    clock = code_clock(monkeypatch)
    clock.advance(30)
    limiter_clock = with_clock(app)
    sign_in_with_code(client, secret, 30)
    clock.advance(30)
    page = refused(client, "/two-factor/totp/disable", "disable", password="wrong password, indeed", code=codes[0])
    assert error_at(page, "disable-password") == "The current password is incorrect."
    assert "disable-code-error" not in page
    limiter_clock.advance(5)
    page = refused(client, "/two-factor/totp/disable", "disable", password=PASSWORD, code=wrong_code(secret, clock.now))
    assert error_at(page, "disable-code").startswith("That code is not right")
    assert "disable-password-error" not in page
    limiter_clock.advance(10)
    response = post(client, "/two-factor/totp/disable", password=PASSWORD, code=codes[1])
    assert response.status_code == 303
    assert "Off" in client.get("/two-factor").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(TotpSecret.id)) is None


def test_page_posts_are_guarded_checks(app, client, auth):
    """A wrong password on /two-factor counts like a wrong sign-in: the next try is 429."""
    auth.login()
    refused(client, "/two-factor/totp/begin", "begin", password="not the password, sorry")
    response = post(client, "/two-factor/totp/begin", password=PASSWORD)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1


def sign_in_with_code(client, secret, offset):
    from tests.support.two_factor import NOW

    login = client.post("/login", data={"csrf_token": csrf_token(client), "password": PASSWORD, "next": "/"})
    assert login.status_code == 303 and login.location == "/login/code"
    done = client.post("/login/code", data={"csrf_token": csrf_token(client, "/login/code"), "code": code_for(secret, NOW + offset)})
    assert done.status_code == 303, done.get_data(as_text=True)


def test_a_wrong_password_on_the_page_writes_the_fail2ban_line(app, client, auth, caplog):
    import logging

    auth.login()
    with caplog.at_level(logging.WARNING, "gatehouse.auth"):
        post(client, "/two-factor/totp/begin", password="not the password, sorry")
    lines = [r for r in caplog.records if getattr(r, "event", None) == "login_failed"]
    assert lines and lines[0].getMessage() == "login failed from 127.0.0.1"


def open_sections(page: str) -> list[str]:
    return re.findall(r'<details class="action" name="two-factor-action" id="(\w+)" open>', page)


def test_one_action_open_at_a_time_and_passkeys_wait_during_enrolment(app, client, auth, monkeypatch):
    """Every action is a <details> of one group (opening one closes the others), so at most one
    "Current password" shows; the page opens the step it suggests."""
    clock = code_clock(monkeypatch)
    auth.login()
    page = client.get("/two-factor").get_data(as_text=True)
    assert open_sections(page) == ["begin"]
    assert set(re.findall(r'<details class="action" name="([\w-]+)"', page)) == {"two-factor-action"}
    post(client, "/two-factor/totp/begin", password=PASSWORD)
    page = client.get("/two-factor").get_data(as_text=True)
    assert open_sections(page) == []  # "Add a passkey" stays closed while the app is being set up
    assert re.search(r'<details class="action" name="two-factor-action" id="passkey">', page)
    shown = re.search(r'<code id="totp-secret" class="secret">(.*?)</code>', page).group(1)
    groups = re.findall(r"<span>([A-Z2-7]{4})</span>", shown)
    assert len(groups) == 8 and shown == "".join(f"<span>{g}</span>" for g in groups)  # no space: a copy is the key
    secret = "".join(groups)
    assert re.search(r'<form method="post" action="/two-factor/totp/confirm" class="code-row">', page)
    post(client, "/two-factor/totp/confirm", code=code_for(secret, clock.now))
    page = client.get("/two-factor").get_data(as_text=True)
    assert open_sections(page) == ["passkey"]  # codes on and no passkey yet: the next thing to add
