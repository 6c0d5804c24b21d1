"""Forward auth through the app (test client): domain cookie, rd after sign-in, CSP form-action,
verify and forward-auth answers, bearer tokens. The real proxies run in tests/e2e/test_forward_auth.py."""

from urllib.parse import parse_qs, urlsplit

import pytest

from app.services import master_password
from tests.support.app import CSRF_RE, PASSWORD

API = "/api/v1/auth"
PORTAL = "https://auth.example.org"
PAGE = {"Accept": "text/html,application/xhtml+xml"}
TOOL = {"X-Forwarded-Method": "GET", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "grafana.example.org",
        "X-Forwarded-Uri": "/d/abc?x=1"}


@pytest.fixture
def domain_app(make_app):
    app = make_app(GATEHOUSE_COOKIE_SECURE=True, GATEHOUSE_PUBLIC_URL=PORTAL, GATEHOUSE_COOKIE_DOMAIN="example.org",
                   GATEHOUSE_REMOTE_USER="root")
    with app.app_context():
        master_password.set_first(PASSWORD)
    return app


@pytest.fixture
def portal(domain_app):
    return domain_app.test_client()


def get(client, path, **kwargs):
    return client.get(path, base_url=PORTAL, **kwargs)


def sign_in(client, rd: str | None = None, next_path: str | None = None):
    query = f"?rd={rd}" if rd else (f"?next={next_path}" if next_path else "")
    page = get(client, "/login" + query)
    form = {"csrf_token": CSRF_RE.search(page.get_data(as_text=True)).group(1), "password": PASSWORD}
    if rd is not None:
        form["rd"] = rd
    if next_path is not None:
        form["next"] = next_path
    return client.post("/login", data=form, base_url=PORTAL, headers={"Referer": PORTAL + "/login"})


def test_domain_cookie_is_secure_prefixed_with_domain_and_csrf_stays_host_only(portal):
    response = sign_in(portal, rd="https://grafana.example.org/d/abc?x=1")
    assert response.status_code == 303 and response.headers["Location"] == "https://grafana.example.org/d/abc?x=1"
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    session = cookies["__Secure-gatehouse_session"]
    assert "Domain=example.org" in session and "Secure" in session and "HttpOnly" in session and "SameSite=Lax" in session
    assert not any(name.startswith("__Host-gatehouse_session") for name in cookies)
    for name, cookie in cookies.items():
        if name != "__Secure-gatehouse_session":
            assert "Domain=" not in cookie, name  # CSRF and device cookies: host-only
    logout = portal.post(f"{API}/logout", json={}, base_url=PORTAL)
    cleared = next(c for c in logout.headers.getlist("Set-Cookie") if c.startswith("__Secure-gatehouse_session="))
    assert "Domain=example.org" in cleared and "Max-Age=0" in cleared


@pytest.mark.parametrize("rd", ["https://evil.test/", "https://example.org.evil.test/", "https://evilexample.org/",
                                "https://grafana.example.org@evil.test/", "javascript:alert(1)", "http://grafana.example.org/",
                                "https:\\\\evil.test", "data:text/html,x"])
def test_rd_off_domain_goes_home(portal, rd):
    response = sign_in(portal, rd=rd)
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_next_still_works_and_signed_in_login_follows_rd(portal):
    assert sign_in(portal, next_path="/sessions").headers["Location"] == "/sessions"
    again = get(portal, "/login?rd=https://files.example.org/x")
    assert again.status_code == 303 and again.headers["Location"] == "https://files.example.org/x"
    assert get(portal, "/login?rd=https://evil.test/x").headers["Location"] == "/"


def test_login_form_action_allows_exactly_the_cookie_domain(portal):
    page = get(portal, "/login?rd=https://grafana.example.org/")
    csp = page.headers["Content-Security-Policy"]
    assert "form-action 'self' https://example.org:* https://*.example.org:*" in csp
    assert 'name="rd" type="hidden" value="https://grafana.example.org/"' in page.get_data(as_text=True)
    assert get(portal, "/healthz").headers["Content-Security-Policy"].endswith("form-action 'self'")


def test_code_step_form_action_allows_the_same_hosts_as_the_login_form(domain_app, portal):
    from tests.support.two_factor import enable_codes

    enable_codes(domain_app)
    login_csp = get(portal, "/login?rd=https://grafana.example.org/").headers["Content-Security-Policy"]
    assert sign_in(portal, rd="https://grafana.example.org/").headers["Location"] == "/login/code"
    code_page = get(portal, "/login/code")
    assert code_page.status_code == 200
    assert code_page.headers["Content-Security-Policy"] == login_csp
    assert "https://*.example.org:*" in login_csp


def test_login_form_action_without_cookie_domain(client):
    csp = client.get("/login").headers["Content-Security-Policy"]
    assert csp.endswith("form-action 'self'")  # the only allowed host is the portal's own


@pytest.mark.parametrize("endpoint, status", [("verify", 204), ("forward-auth", 200)])
def test_signed_in_answers_carry_remote_user(portal, endpoint, status):
    sign_in(portal)
    response = get(portal, f"{API}/{endpoint}", headers=TOOL)
    assert response.status_code == status and response.headers["Remote-User"] == "root"
    assert response.get_data() == b""


@pytest.mark.parametrize("endpoint, status", [("verify", 204), ("forward-auth", 200)])
def test_bearer_token_on_both_endpoints(portal, endpoint, status):
    token = portal.post(f"{API}/token", json={"password": PASSWORD}, base_url=PORTAL).get_json()["token"]
    fresh = portal.application.test_client()
    response = get(fresh, f"{API}/{endpoint}", headers={**TOOL, "Authorization": f"Bearer {token}"})
    assert response.status_code == status and response.headers["Remote-User"] == "root"
    forged = get(fresh, f"{API}/{endpoint}", headers={**TOOL, **PAGE, "Authorization": "Bearer " + token[:-2] + "xx"})
    assert forged.status_code in (401, 302) and "Remote-User" not in forged.headers


def test_verify_signed_out(portal):
    response = get(portal, f"{API}/verify", headers={"X-Original-URL": "https://files.example.org/a?b=c", **PAGE})
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == PORTAL + "/login"
    assert parse_qs(location.query) == {"rd": ["https://files.example.org/a?b=c"]}
    assert response.headers["X-Gatehouse-Login"].startswith("/login")
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("method, status", [("GET", 302), ("HEAD", 302), ("POST", 303), ("PUT", 303)])
def test_forward_auth_signed_out_page_load(portal, method, status):
    response = get(portal, f"{API}/forward-auth", headers={**TOOL, **PAGE, "X-Forwarded-Method": method})
    assert response.status_code == status
    assert response.headers["Location"] == PORTAL + "/login?rd=https%3A%2F%2Fgrafana.example.org%2Fd%2Fabc%3Fx%3D1"


@pytest.mark.parametrize("headers", [{"Accept": "application/json"}, {**PAGE, "X-Requested-With": "XMLHttpRequest"}, {}])
def test_forward_auth_signed_out_xhr_gets_401_json(portal, headers):
    response = get(portal, f"{API}/forward-auth", headers={**TOOL, **headers})
    assert response.status_code == 401 and "Location" not in response.headers
    assert response.get_json() == {"error": "unauthorized", "message": "No valid session."}
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="gatehouse"'


def test_forward_auth_never_points_off_domain(portal):
    for host in ("evil.test", "example.org.evil.test", "evilexample.org"):
        response = get(portal, f"{API}/forward-auth", headers={**TOOL, **PAGE, "X-Forwarded-Host": host})
        assert response.headers["Location"] == PORTAL + "/login"


def test_same_host_defaults_keep_the_host_cookie(client):
    page = client.get("/login")
    token = CSRF_RE.search(page.get_data(as_text=True)).group(1)
    response = client.post("/login", data={"csrf_token": token, "password": PASSWORD, "next": "/"})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("gatehouse_session="))
    assert "Domain" not in cookie


@pytest.mark.parametrize("host", [".", "a..b", "x" * 70 + ".org", "-a.example.org", "é.example.org"])
@pytest.mark.parametrize("endpoint", ["/api/v1/auth/verify", "/api/v1/auth/forward-auth"])
def test_a_forwarded_host_that_is_no_host_name_never_reaches_location(client, endpoint, host):
    """Found by the schema fuzzer: `X-Forwarded-Host: .` made Werkzeug fail to encode Location (a 500)."""
    headers = {"X-Forwarded-Host": host, "X-Forwarded-Proto": "https", "X-Forwarded-Uri": "/x", "Accept": "text/html"}
    response = client.get(endpoint, headers=headers)
    assert response.status_code in (302, 401)
    assert response.headers.get("Location", "/login").startswith("/login")


def test_the_sign_in_pages_say_where_the_person_is_going(domain_app, portal):
    from tests.support.two_factor import enable_codes

    rd = "https://grafana.example.org/d/abc?x=1"
    page = get(portal, f"/login?rd={rd}").get_data(as_text=True)
    assert "to continue to <strong>grafana.example.org</strong>" in page
    assert "to continue to" not in get(portal, "/login?next=/sessions").get_data(as_text=True)
    assert "to continue to" not in get(portal, "/login?rd=https://evil.test/").get_data(as_text=True)
    _secret, recovery = enable_codes(domain_app)
    assert sign_in(portal, rd=rd).headers["Location"] == "/login/code"
    assert "to continue to <strong>grafana.example.org</strong>" in get(portal, "/login/code").get_data(as_text=True)
    token = CSRF_RE.search(get(portal, "/login/code").get_data(as_text=True)).group(1)
    done = portal.post("/login/code", data={"csrf_token": token, "code": recovery[0]}, base_url=PORTAL,
                       headers={"Referer": PORTAL + "/login/code"})
    assert done.headers["Location"] == "/login/recovery-used"
    notice = get(portal, "/login/recovery-used").get_data(as_text=True)
    assert f'id="continue" href="{rd.replace("&", "&amp;")}"' in notice and "Continue to grafana.example.org" in notice
