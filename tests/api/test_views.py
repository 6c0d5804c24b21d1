"""The JSON API (docs/api.md): every route's codes, bodies and headers, and bad bodies → 422."""

import json

import pytest

from app.models import LoginSession
from tests.support.app import PASSWORD, count_rows

API = "/api/v1/auth"


def cookies_set(response):
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith("gatehouse_session=")]


def get_token(client, **extra):
    response = client.post(f"{API}/token", json={"password": PASSWORD, **extra})
    assert response.status_code == 200
    return response.get_json()["token"]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == code and isinstance(body["message"], str) and body["message"]
    assert "Traceback" not in response.get_data(as_text=True)


# --- login -----------------------------------------------------------------------------------

def test_login_sets_cookie_and_returns_only_expiry(client, app):
    response = client.post(f"{API}/login", json={"password": PASSWORD})
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert list(body) == ["expires_at"] and body["expires_at"].endswith("Z")
    cookie = cookies_set(response)[0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert cookie.split(";")[0].split("=", 1)[1] not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get(f"{API}/session").status_code == 200
    assert client.get("/").status_code == 200  # the same session works on the pages
    with app.app_context():
        from app.extensions import db

        assert db.session.query(LoginSession).one().kind == "browser"


def test_login_wrong_password_is_401_with_challenge(client, app):
    response = client.post(f"{API}/login", json={"password": "not the password"})
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="gatehouse"'
    assert not cookies_set(response) and count_rows(app) == 0


def test_login_is_exempt_from_csrf_but_needs_json(client, app):
    response = client.post(f"{API}/login", data={"password": PASSWORD})
    assert_error(response, 415, "unsupported_media_type")
    response = client.post(f"{API}/login", data=json.dumps({"password": PASSWORD}), content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")
    assert count_rows(app) == 0
    ok = client.post(f"{API}/login", data=json.dumps({"password": PASSWORD}), content_type="application/json; charset=utf-8")
    assert ok.status_code == 200


# --- token -----------------------------------------------------------------------------------

def test_token_sets_no_cookie_and_works_as_bearer(client, app):
    response = client.post(f"{API}/token", json={"password": PASSWORD, "label": "backup job"})
    assert response.status_code == 200 and not response.headers.getlist("Set-Cookie")
    body = response.get_json()
    assert set(body) == {"token", "expires_at"}
    anonymous = app.test_client()
    session = anonymous.get(f"{API}/session", headers=bearer(body["token"]))
    assert session.status_code == 200 and session.get_json() == {"valid": True, "expires_at": body["expires_at"]}
    assert anonymous.get("/", headers=bearer(body["token"])).status_code == 200  # Bearer works on pages too
    with app.app_context():
        from app.extensions import db

        row = db.session.query(LoginSession).one()
        assert row.kind == "api" and row.label == "backup job" and body["token"] not in row.token_hash


def test_token_wrong_password(client, app):
    assert_error(client.post(f"{API}/token", json={"password": "nope nope nope"}), 401, "unauthorized")
    assert count_rows(app) == 0


# --- session and verify ----------------------------------------------------------------------

@pytest.mark.parametrize("path", ["session", "verify"])
def test_no_session_is_401_bearer(client, path):
    response = client.get(f"{API}/{path}")
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="gatehouse"'


BAD_AUTHORIZATION = ["Bearer", "Bearer ", "Bearer a.b.c", "Bearer " + "x" * 5000, "Basic dXNlcjpwYXNz", "Bearer \x1b[31m"]


@pytest.mark.parametrize("header", BAD_AUTHORIZATION)
def test_bad_credentials_are_401_invalid_token(client, header):
    """The API's own routes: an Authorization header here is meant for Gatehouse (RFC 6750)."""
    response = client.get(f"{API}/session", headers={"Authorization": header})
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="gatehouse", error="invalid_token"'


@pytest.mark.parametrize("header", BAD_AUTHORIZATION)
def test_forward_auth_ignores_an_authorization_gatehouse_did_not_sign(client, header):
    """verify: a tool's own Authorization is the tool's business, never `invalid_token` (SPEC §4b)."""
    response = client.get(f"{API}/verify", headers={"Authorization": header})
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="gatehouse"'


def test_invalid_bearer_never_falls_back_to_the_cookie_on_the_api(client):
    client.post(f"{API}/login", json={"password": PASSWORD})
    assert client.get(f"{API}/session").status_code == 200
    assert client.get(f"{API}/session", headers={"Authorization": "Bearer forged.value"}).status_code == 401
    # Forward auth: not Gatehouse's value, so the cookie decides.
    assert client.get(f"{API}/verify", headers={"Authorization": "Bearer forged.value"}).status_code == 204


def test_verify_is_204_without_body(client):
    token = get_token(client)
    response = client.get(f"{API}/verify", headers=bearer(token))
    assert response.status_code == 204 and response.data == b""
    assert client.head(f"{API}/verify", headers=bearer(token)).status_code == 204


# --- logout ----------------------------------------------------------------------------------

def test_logout_by_bearer_revokes_at_once(client, app):
    token = get_token(client)
    assert client.get(f"{API}/verify", headers=bearer(token)).status_code == 204  # cached now
    response = client.post(f"{API}/logout", headers=bearer(token))
    assert response.status_code == 200 and response.get_json() == {"message": "Logged out successfully."}
    assert any(c.startswith("gatehouse_session=;") for c in response.headers.getlist("Set-Cookie"))
    assert client.get(f"{API}/verify", headers=bearer(token)).status_code == 401


def test_logout_by_cookie_needs_json(client):
    client.post(f"{API}/login", json={"password": PASSWORD})
    response = client.post(f"{API}/logout", data="", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")
    assert client.get(f"{API}/session").status_code == 200  # still signed in
    assert client.post(f"{API}/logout", json={}).status_code == 200
    assert client.get(f"{API}/session").status_code == 401


def test_logout_from_a_cross_site_form_leaves_the_cookie_alone(app):
    """A text/plain form on another site arrives without the (SameSite=Lax) cookie: no Set-Cookie."""
    cross_site = app.test_client()  # the browser sends no cookie with a cross-site POST
    response = cross_site.post(f"{API}/logout", data="x=y", content_type="text/plain",
                               headers={"Origin": "http://evil.example"})
    assert response.status_code == 200
    assert not response.headers.getlist("Set-Cookie")
    same_site = app.test_client()
    same_site.post(f"{API}/login", json={"password": PASSWORD})
    cleared = same_site.post(f"{API}/logout", json={}).headers.getlist("Set-Cookie")
    assert any(c.startswith("gatehouse_session=;") for c in cleared)  # a JSON request still clears it


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer unknown.token"}, {"Authorization": "Basic x"}])
def test_logout_is_idempotent(client, headers):
    for _ in range(2):
        response = client.post(f"{API}/logout", headers=headers)
        assert response.status_code == 200 and response.get_json()["message"] == "Logged out successfully."


# --- methods, setup, limits ------------------------------------------------------------------

@pytest.mark.parametrize("method, path", [("get", "login"), ("put", "login"), ("delete", "token"), ("post", "verify"),
                                          ("post", "session"), ("get", "logout"), ("trace", "token")])
def test_wrong_method_is_405_json(client, method, path):
    assert_error(client.open(f"{API}/{path}", method=method.upper()), 405, "method_not_allowed")


def test_unknown_api_path_is_404_json(client):
    assert_error(client.get(f"{API}/nothing"), 404, "not_found")


def test_before_setup_every_route_is_503(fresh_app):
    client = fresh_app.test_client()
    assert_error(client.post(f"{API}/login", json={"password": PASSWORD}), 503, "unavailable")
    assert_error(client.get(f"{API}/verify"), 503, "unavailable")
    assert count_rows(fresh_app) == 0


def test_body_over_16k_is_413(client, app):
    response = client.post(f"{API}/token", data=json.dumps({"password": "x" * 20000}), content_type="application/json")
    assert_error(response, 413, "payload_too_large")
    assert count_rows(app) == 0


# --- bad bodies (docs/security.md) → 422, nothing stored ----------------------------------------

BAD_BODIES = [
    b"", b"not json", b'{"password":', b"\xff\xfe{}", b"[1, 2]", b'"pw"', b"null", b"{}",
    b'{"password": 12}', b'{"password": null}', b'{"password": true}', b'{"password": []}', b'{"password": {}}',
    b'{"password": NaN}', b'{"password": Infinity}', b'{"password": -Infinity}', b'{"password": 1e999}',
    b'{"password": "\\ud800"}', b'{"password": "ok \\udfff and more text"}',
    b'{"password": "a", "password": "b"}',
    b'{"password": "' + b"a" * 1025 + b'"}',
    b'{"password": "x", "admin": true}',
    b"[" * 5000 + b"]" * 5000,
    b'{"password": ' + b"9" * 5000 + b"}",
]
TOKEN_ONLY = [
    b'{"password": "x", "label": 5}', b'{"password": "x", "label": "' + b"l" * 101 + b'"}',
    b'{"password": "x", "label": "line\\nbreak"}', b'{"password": "x", "label": "\\u0000"}',
    b'{"password": "x", "label": "\\ud800"}',
]


@pytest.mark.parametrize("raw", BAD_BODIES)
@pytest.mark.parametrize("path", ["login", "token"])
def test_malformed_body_is_422_and_stores_nothing(client, app, path, raw):
    response = client.post(f"{API}/{path}", data=raw, content_type="application/json")
    assert_error(response, 422, "invalid_request")
    assert not response.headers.getlist("Set-Cookie") and count_rows(app) == 0


@pytest.mark.parametrize("raw", TOKEN_ONLY)
def test_malformed_label_is_422(client, app, raw):
    assert_error(client.post(f"{API}/token", data=raw, content_type="application/json"), 422, "invalid_request")
    assert count_rows(app) == 0


@pytest.mark.parametrize("password", ["", "a\u0000b", PASSWORD[:10], "\U0001F511" * 256, PASSWORD + "\x00"])
def test_well_formed_wrong_passwords_are_plain_401(client, app, password):
    assert_error(client.post(f"{API}/login", json={"password": password}), 401, "unauthorized")
    assert count_rows(app) == 0


def test_password_in_query_string_is_ignored(client, app):
    assert client.post(f"{API}/login?password={PASSWORD}", json={}).status_code == 422
    assert count_rows(app) == 0


def test_api_endpoint_names_for_the_rate_limiter(app):
    names = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert {"api.login", "api.token", "api.session", "api.logout", "api.verify", "account.password"} <= names


@pytest.mark.parametrize("headers, target", [
    ({}, "/"),
    ({"X-Original-URI": "/console/?a=1&b=2"}, "/console/?a=1&b=2"),
    ({"X-Forwarded-Uri": "/grafana/d/x"}, "/grafana/d/x"),
    ({"X-Original-URI": "//evil.example/x"}, "/"),
    ({"X-Original-URI": "https://evil.example/"}, "/"),
])
def test_verify_401_says_where_to_log_in(client, headers, target):
    from urllib.parse import parse_qs, urlsplit

    response = client.get(f"{API}/verify", headers=headers)
    assert response.status_code == 401
    location = urlsplit(response.headers["X-Gatehouse-Login"])
    assert location.path == "/login" and parse_qs(location.query) == {"next": [target]}
    assert "\n" not in response.headers["X-Gatehouse-Login"]


def test_secure_mode_uses_the_host_prefixed_cookie(make_app):
    from app.services import master_password

    app = make_app(GATEHOUSE_COOKIE_SECURE=True)
    with app.app_context():
        master_password.set_first(PASSWORD)
    client = app.test_client()
    response = client.post(f"{API}/login", json={"password": PASSWORD}, base_url="https://localhost")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "gatehouse_session" in c)
    assert cookie.startswith("__Host-gatehouse_session=") and "Secure" in cookie and "Domain" not in cookie
    assert client.get(f"{API}/verify", base_url="https://localhost").status_code == 204
    doc = client.get("/api/v1/openapi.json", base_url="https://localhost").get_json()
    assert doc["components"]["securitySchemes"]["cookieAuth"]["name"] == "__Host-gatehouse_session"
    plain = client.post(f"{API}/logout", data="x", content_type="text/plain", base_url="https://localhost")
    assert plain.status_code == 415
    assert client.post(f"{API}/logout", json={}, base_url="https://localhost").status_code == 200
    assert client.get(f"{API}/verify", base_url="https://localhost").status_code == 401


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/auth/token"])
def test_password_over_1024_bytes_is_422_and_no_guess(client, app, path):
    response = client.post(path, json={"password": "é" * 600})  # 600 characters, 1,200 bytes
    assert response.status_code == 422 and "1024 bytes" in response.get_json()["message"]
    assert count_rows(app) == 0
    # Not counted as a failed guess: the right password goes straight through.
    assert client.post(path, json={"password": PASSWORD}).status_code == 200
