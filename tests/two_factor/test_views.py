"""The /two-factor page: enrolment (password → QR code and key → code), recovery codes, turning off."""

from app.models import TotpSecret
from app.extensions import db
from sqlalchemy import select
from tests.support.app import PASSWORD, csrf_token
from tests.support.ratelimit import with_clock
from tests.support.two_factor import RECOVERY_RE, SECRET_RE, code_clock, code_for, enable_codes, wrong_code


def post(client, path, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, "/two-factor"), **data})


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

    assert post(client, "/two-factor/totp/begin", password="not the password, sorry").status_code == 403
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

    assert post(client, "/two-factor/totp/confirm", code=wrong_code(secret, clock.now)).status_code == 403
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
    assert post(second, "/two-factor/totp/confirm", code="123456").status_code == 409


def test_regenerate_replaces_the_codes(app, client, auth, monkeypatch):
    secret, old = enable_codes(app)
    code_clock(monkeypatch).advance(30)
    limiter_clock = with_clock(app)
    sign_in_with_code(client, secret, 30)
    assert post(client, "/two-factor/recovery-codes", password="wrong password, indeed").status_code == 403
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
    assert post(client, "/two-factor/totp/disable", password="wrong password, indeed", code=codes[0]).status_code == 403
    limiter_clock.advance(5)
    assert post(client, "/two-factor/totp/disable", password=PASSWORD, code=wrong_code(secret, clock.now)).status_code == 403
    limiter_clock.advance(10)
    response = post(client, "/two-factor/totp/disable", password=PASSWORD, code=codes[1])
    assert response.status_code == 303
    assert "Off" in client.get("/two-factor").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(TotpSecret.id)) is None


def test_page_posts_are_guarded_checks(app, client, auth):
    """A wrong password on /two-factor counts like a wrong sign-in: the next try is 429."""
    auth.login()
    assert post(client, "/two-factor/totp/begin", password="not the password, sorry").status_code == 403
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
