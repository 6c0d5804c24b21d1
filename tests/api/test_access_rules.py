"""The access rules through both forward-auth endpoints and the login (test client): bypass,
deny, two_factor's 403 page and JSON, and max_age's sign-in again on the same session."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.test import EnvironBuilder

from app.extensions import db, session_cache
from app.models import LoginSession, utcnow
from app.services import master_password
from tests.support.access import EXAMPLE
from tests.support.app import CSRF_RE, PASSWORD
from tests.support.two_factor import NOW, code_clock, code_for, enable_codes

VERIFY, FORWARD_AUTH = "/api/v1/auth/verify", "/api/v1/auth/forward-auth"
PAGE = {"Accept": "text/html,application/xhtml+xml"}
SCRIPT = {"Accept": "application/json"}
PORTAL = "http://auth.example.org"


def asks(url: str, method: str = "GET", ip: str | None = "203.0.113.9", **headers) -> dict[str, str]:
    """What Caddy/Traefik send to forward-auth for `url` (nginx's X-Original-URL says the same)."""
    parts = urlsplit(url)
    sent = {"X-Forwarded-Proto": parts.scheme, "X-Forwarded-Host": parts.netloc,
            "X-Forwarded-Uri": parts.path + (f"?{parts.query}" if parts.query else ""), "X-Forwarded-Method": method}
    if ip:
        sent["X-Forwarded-For"] = ip
    return {**sent, **headers}


@pytest.fixture
def ruled(make_app, tmp_path):
    path = tmp_path / "access.toml"
    path.write_text(EXAMPLE)
    app = make_app(GATEHOUSE_ACCESS_FILE=str(path), GATEHOUSE_PUBLIC_URL=PORTAL, GATEHOUSE_COOKIE_DOMAIN="example.org",
                   GATEHOUSE_TRUSTED_PROXIES=(__import__("ipaddress").ip_network("127.0.0.1/32"),))
    with app.app_context():
        master_password.set_first(PASSWORD)
    return app


class PortalClient(FlaskClient):
    """A browser at the portal's host, where the session cookie (Domain=example.org) is sent."""

    base = PORTAL

    def open(self, *args, **kwargs):
        if not (args and isinstance(args[0], EnvironBuilder)):
            kwargs.setdefault("base_url", self.base)
        return super().open(*args, **kwargs)


def portal(app, base: str = PORTAL):
    app.test_client_class = type("Client", (PortalClient,), {"base": base})
    return app.test_client()


def sign_in(client, code: str | None = None):
    assert client.post("/api/v1/auth/login", json={"password": PASSWORD, **({"code": code} if code else {})}).status_code == 200


def session_row(app, session_id=None):
    with app.app_context():
        query = select(LoginSession).order_by(LoginSession.id.desc())
        return db.session.scalars(query.where(LoginSession.id == session_id) if session_id else query).first()


@pytest.mark.parametrize("endpoint, ok", [(VERIFY, 204), (FORWARD_AUTH, 200)])
def test_bypass_needs_no_session_and_names_the_user_when_one_is_live(ruled, endpoint, ok):
    client = portal(ruled)
    answer = client.get(endpoint, headers=asks("https://grafana.example.org/api/health", **SCRIPT))
    assert answer.status_code == ok and "Remote-User" not in answer.headers
    home = client.get(endpoint, headers=asks("https://jellyfin.example.org/Items", ip="192.168.1.40", **PAGE))
    assert home.status_code == ok
    away = client.get(endpoint, headers=asks("https://jellyfin.example.org/Items", ip="8.8.8.8", **SCRIPT))
    assert away.status_code == 401
    sign_in(client)
    named = client.get(endpoint, headers=asks("https://grafana.example.org/api/health", **SCRIPT))
    assert named.status_code == ok and named.headers["Remote-User"] == "admin"


def test_a_lan_bypass_cannot_be_claimed_from_outside(ruled):
    """The address counts only when a trusted proxy reports it: another peer's X-Forwarded-For is no one's."""
    client = portal(ruled)
    answer = client.get(FORWARD_AUTH, headers=asks("https://jellyfin.example.org/Items", ip="192.168.1.40", **SCRIPT),
                        environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert answer.status_code == 401


@pytest.mark.parametrize("endpoint", [VERIFY, FORWARD_AUTH])
def test_deny_is_403_for_everyone(ruled, endpoint):
    client = portal(ruled)
    sign_in(client)
    answer = client.get(endpoint, headers=asks("https://files.example.org/admin/users", **SCRIPT))
    assert answer.status_code == 403 and answer.get_json() == {"error": "forbidden",
                                                               "message": "An access rule closes this address."}
    assert "Remote-User" not in answer.headers
    at_home = client.get(endpoint, headers=asks("https://files.example.org/admin/users", ip="192.168.1.3", **SCRIPT))
    assert at_home.status_code in (200, 204)


def test_deny_page_load_gets_the_page_with_the_portals_styles(ruled):
    answer = portal(ruled).get(FORWARD_AUTH, headers=asks("https://files.example.org/admin/", **PAGE))
    body = answer.get_data(as_text=True)
    assert answer.status_code == 403 and answer.mimetype == "text/html"
    assert "<h1>Closed</h1>" in body and f'href="{PORTAL}/static/css/gatehouse.css"' in body
    csp = answer.headers["Content-Security-Policy"]
    assert f"style-src {PORTAL}" in csp and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp


def test_two_factor_rule_refuses_a_password_only_session_with_where_to_turn_it_on(ruled):
    client = portal(ruled)
    sign_in(client)
    answer = client.get(FORWARD_AUTH, headers=asks("https://pve.example.org/", **SCRIPT))
    body = answer.get_json()
    assert answer.status_code == 403 and body["error"] == "two_factor_required"
    assert body["two_factor_url"] == f"{PORTAL}/two-factor" and f"{PORTAL}/two-factor" in body["message"]
    assert parse_qs(urlsplit(body["sign_in_url"]).query) == {"rd": ["https://pve.example.org/"], "reauth": ["1"]}
    page = client.get(FORWARD_AUTH, headers=asks("https://pve.example.org/", **PAGE))
    html = page.get_data(as_text=True)
    assert page.status_code == 403 and "Two-factor sign-in needed" in html
    assert f'href="{PORTAL}/two-factor"' in html and 'id="sign-in-again"' in html
    assert client.get(VERIFY, headers=asks("https://pve.example.org/", **PAGE)).status_code == 403
    # Without a session it is a sign-in like any other.
    assert portal(ruled).get(FORWARD_AUTH, headers=asks("https://pve.example.org/", **SCRIPT)).status_code == 401


def make_stale(app, session_id, minutes=20):
    with app.app_context():
        db.session.execute(update(LoginSession).where(LoginSession.id == session_id)
                           .values(authenticated_at=utcnow() - timedelta(minutes=minutes)))
        db.session.commit()
        session_cache.backend.clear()


def test_max_age_sends_a_stale_session_to_sign_in_again_and_refreshes_that_same_session(ruled, monkeypatch):
    secret, _recovery = enable_codes(ruled)
    clock = code_clock(monkeypatch, NOW + 30)
    browser, other = portal(ruled), portal(ruled)
    sign_in(browser, code_for(secret, clock.now))
    clock.advance(30)
    sign_in(other, code_for(secret, clock.now))
    mine, theirs = session_row(ruled).id - 1, session_row(ruled).id
    tool = "https://pve.example.org/vms?node=1"
    assert browser.get(FORWARD_AUTH, headers=asks(tool, **PAGE)).status_code == 200

    make_stale(ruled, mine)
    make_stale(ruled, theirs, minutes=30)
    before_other = session_row(ruled, theirs).authenticated_at
    xhr = browser.get(FORWARD_AUTH, headers=asks(tool, **SCRIPT, **{"X-Requested-With": "XMLHttpRequest"}))
    assert xhr.status_code == 401 and xhr.get_json()["error"] == "reauthentication_required"
    assert 'error="invalid_token"' in xhr.headers["WWW-Authenticate"]
    answer = browser.get(FORWARD_AUTH, headers=asks(tool, **PAGE))
    assert answer.status_code == 302
    login = answer.headers["Location"]
    assert login.startswith(f"{PORTAL}/login?") and parse_qs(urlsplit(login).query) == {"rd": [tool], "reauth": ["1"]}
    nginx = browser.get(VERIFY, headers={"X-Original-URL": tool, "X-Forwarded-Method": "GET",
                                         "X-Forwarded-For": "203.0.113.9", **PAGE})
    assert nginx.status_code == 401 and nginx.headers["Location"] == login

    # The login page asks again although the browser is signed in (without reauth it would go on).
    local = login.removeprefix(PORTAL)
    form = browser.get(local)
    page = form.get_data(as_text=True)
    assert form.status_code == 200 and "Sign in again" in page and 'name="reauth" type="hidden" value="1"' in page
    assert browser.get(local.replace("&reauth=1", "")).status_code == 303
    posted = browser.post("/login", data={"csrf_token": CSRF_RE.search(page).group(1), "password": PASSWORD,
                                          "rd": tool, "reauth": "1"})
    assert posted.status_code == 303 and posted.location == "/login/code"
    clock.advance(30)
    code_page = browser.get("/login/code")
    assert code_page.status_code == 200
    done = browser.post("/login/code", data={"csrf_token": CSRF_RE.search(code_page.get_data(as_text=True)).group(1),
                                            "code": code_for(secret, clock.now)})
    assert done.status_code == 303 and done.location == tool
    assert not [c for c in done.headers.getlist("Set-Cookie") if "gatehouse_session=" in c]  # the same cookie

    row = session_row(ruled, mine)
    assert row.revoked_at is None and utcnow() - row.authenticated_at < timedelta(seconds=30)
    assert row.methods == "password code"
    assert session_row(ruled).id == theirs  # no new session
    assert session_row(ruled, theirs).authenticated_at == before_other and session_row(ruled, theirs).revoked_at is None
    assert browser.get(FORWARD_AUTH, headers=asks(tool, **PAGE)).status_code == 200


def test_max_age_without_codes_asks_the_password_alone(make_app, tmp_path):
    path = tmp_path / "access.toml"
    path.write_text('[[rule]]\nname = "fresh"\nhosts = ["nas"]\npolicy = "signed_in"\nmax_age = "12h"\n')
    app = make_app(GATEHOUSE_ACCESS_FILE=str(path), GATEHOUSE_LOGIN_BACKOFF=(0.0,))  # a wrong try, then the right one
    with app.app_context():
        master_password.set_first(PASSWORD)
    browser = portal(app, "http://nas")  # a one-label name on the LAN, no GATEHOUSE_PUBLIC_URL
    sign_in(browser)
    mine = session_row(app).id
    make_stale(app, mine, minutes=13 * 60)
    nas = {"X-Forwarded-Host": "nas", "X-Forwarded-Uri": "/", "X-Forwarded-Method": "GET", **PAGE}
    answer = browser.get(FORWARD_AUTH, headers=nas)
    assert answer.status_code == 302 and answer.headers["Location"] == "http://nas/login?rd=http%3A%2F%2Fnas%2F&reauth=1"
    page = browser.get("/login?rd=http%3A%2F%2Fnas%2F&reauth=1").get_data(as_text=True)
    wrong = browser.post("/login", data={"csrf_token": CSRF_RE.search(page).group(1), "password": "not the password at all",
                                         "rd": "http://nas/", "reauth": "1"})
    assert wrong.status_code == 401 and 'name="reauth" type="hidden" value="1"' in wrong.get_data(as_text=True)
    done = browser.post("/login", data={"csrf_token": CSRF_RE.search(page).group(1), "password": PASSWORD,
                                        "rd": "http://nas/", "reauth": "1"})
    assert done.status_code == 303 and done.location == "http://nas/"
    assert session_row(app).id == mine and session_row(app, mine).methods == "password"
    assert browser.get(FORWARD_AUTH, headers=nas).status_code == 200


def test_a_stale_session_that_ended_meanwhile_signs_in_anew(ruled):
    """reauth=1 from a browser whose session is gone: an ordinary sign-in, a new session."""
    browser = portal(ruled)
    page = browser.get("/login?reauth=1").get_data(as_text=True)
    assert "Sign in again" not in page
    done = browser.post("/login", data={"csrf_token": CSRF_RE.search(page).group(1), "password": PASSWORD,
                                        "reauth": "1"})
    assert done.status_code == 303 and [c for c in done.headers.getlist("Set-Cookie") if "gatehouse_session=" in c]


@pytest.mark.parametrize("endpoint", [VERIFY, FORWARD_AUTH])
def test_a_tools_own_api_key_is_the_tools_business(ruled, endpoint):
    """Grafana's `Authorization: Bearer glsa_…` is not Gatehouse's: ignored, never `invalid_token`."""
    client = portal(ruled)
    grafana_key = {"Authorization": "Bearer glsa_AbCdEf0123456789_0a1b2c3d", **SCRIPT}
    api = client.get(endpoint, headers=asks("https://grafana.example.org/api/dashboards/uid/x", **grafana_key))
    assert api.status_code in (200, 204) and "Remote-User" not in api.headers
    page = client.get(endpoint, headers=asks("https://grafana.example.org/d/x", **grafana_key))
    assert page.status_code == 401 and page.headers["WWW-Authenticate"] == 'Bearer realm="gatehouse"'
    basic = client.get(endpoint, headers=asks("https://files.example.org/", Authorization="Basic dXNlcjpwYXNz", **SCRIPT))
    assert basic.headers["WWW-Authenticate"] == 'Bearer realm="gatehouse"'


def test_proxy_authorization_for_a_script_that_needs_both(ruled):
    client = ruled.test_client()
    token = client.post("/api/v1/auth/token", json={"password": PASSWORD, "label": "cron"}).get_json()["token"]
    both = {"Proxy-Authorization": f"Bearer {token}", "Authorization": "Bearer glsa_x", **SCRIPT}
    answer = client.get(FORWARD_AUTH, headers=asks("https://grafana.example.org/d/x", **both))
    assert answer.status_code == 200 and answer.headers["Remote-User"] == "admin"
    # A Gatehouse token that is no longer live is refused as one: invalid_token.
    assert client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    dead = client.get(FORWARD_AUTH, headers=asks("https://grafana.example.org/d/x", **both))
    assert dead.status_code == 401 and 'error="invalid_token"' in dead.headers["WWW-Authenticate"]


def test_each_answer_is_counted_by_its_rule_and_a_refusal_is_logged_with_it(ruled, caplog):
    from prometheus_client import REGISTRY

    def value(rule, decision):
        return REGISTRY.get_sample_value("gatehouse_forward_auth_total", {"rule": rule, "decision": decision}) or 0

    client = portal(ruled)
    before = {key: value(*key) for key in [("grafana api keys", "allow"), ("(default)", "sign_in"),
                                           ("no admin from outside", "deny")]}
    for _ in range(3):  # allowed: answered by the edge's shortcut
        assert client.get(VERIFY, headers=asks("https://grafana.example.org/api/x", **SCRIPT)).status_code == 204
    assert client.get(VERIFY, headers=asks("https://grafana.example.org/d/1", **SCRIPT)).status_code == 401
    with caplog.at_level("INFO", logger="gatehouse.access"):
        evil = "https://files.example.org/admin/%0Aforged line"
        assert client.get(FORWARD_AUTH, headers=asks(evil, **SCRIPT)).status_code == 403
    assert value("grafana api keys", "allow") - before[("grafana api keys", "allow")] == 3
    assert value("(default)", "sign_in") - before[("(default)", "sign_in")] == 1
    assert value("no admin from outside", "deny") - before[("no admin from outside", "deny")] == 1
    refused = [r for r in caplog.records if getattr(r, "event", None) == "access_refused"]
    assert len(refused) == 1 and refused[0].rule == "no admin from outside" and refused[0].decision == "deny"
    assert refused[0].client_ip == "203.0.113.9" and refused[0].path is None  # %0A: ambiguous, never logged raw
    assert refused[0].getMessage() == ("forward auth refused by rule 'no admin from outside' (deny): "
                                       "GET files.example.org (an ambiguous path)")
