import pytest

from app.models import LoginSession
from tests.support.app import PASSWORD, count_rows, csrf_token


def session_cookie(response):
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith("gatehouse_session=")]


def test_anonymous_home_redirects_to_login(client):
    response = client.get("/")
    assert response.status_code == 303 and response.location == "/login?next=/"


def test_protected_path_is_remembered(client):
    assert client.get("/?a=1").location == "/login?next=/?a%3D1"


def test_login_page_has_form_and_csrf(client):
    response = client.get("/login?next=/x")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'name="csrf_token"' in body
    assert 'autocomplete="current-password"' in body and 'value="/x"' in body


def test_wrong_password_is_401_generic(client, auth, app):
    response = auth.login("not the password at all")
    assert response.status_code == 401 and b"Incorrect password." in response.data
    assert not session_cookie(response) and count_rows(app) == 0


def test_right_password_sets_cookie_and_redirects(client, auth, app):
    response = auth.login(next_path="/somewhere?x=1")
    assert response.status_code == 303 and response.location == "/somewhere?x=1"
    cookie = session_cookie(response)[0]
    for attribute in ("HttpOnly", "Path=/", "SameSite=Lax", "Max-Age=43"):
        assert attribute in cookie
    assert "Domain" not in cookie and "Secure" not in cookie
    assert count_rows(app) == 1
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("target", ["//evil.com", "///evil.com", "/\\evil.com", "https://evil.com", "javascript:alert(1)", "/\t/evil.com"])
def test_foreign_next_goes_home(auth, target):
    assert auth.login(next_path=target).location == "/"


def test_signed_in_login_page_redirects_to_next(client, auth):
    auth.login()
    assert client.get("/login?next=/abc").location == "/abc"
    assert client.get("/login?next=//evil.com").location == "/"


def test_secure_cookie_uses_host_prefix(make_app):
    from app.services import master_password

    app = make_app(GATEHOUSE_COOKIE_SECURE=True)
    with app.app_context():
        master_password.set_first(PASSWORD)
    client = app.test_client()
    base = "https://localhost"
    page = client.get("/login", base_url=base)
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/login", base_url=base, data={"csrf_token": token, "password": PASSWORD},
                           headers={"Referer": base + "/login"})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if "gatehouse_session" in c)
    assert cookie.startswith("__Host-gatehouse_session=") and "Secure" in cookie and "Domain" not in cookie
    assert "Strict-Transport-Security" in response.headers


def test_each_login_issues_a_new_token(client, auth):
    first = session_cookie(auth.login())[0].split(";")[0]
    client.delete_cookie("gatehouse_session")
    second = session_cookie(auth.login())[0].split(";")[0]
    assert first != second


def test_logout_get_shows_confirmation(client, auth):
    auth.login()
    response = client.get("/logout")
    assert response.status_code == 200 and b"Sign out" in response.data and b'name="csrf_token"' in response.data


def test_logout_revokes_and_old_cookie_is_rejected(client, auth, app):
    signed = session_cookie(auth.login())[0].split(";")[0].split("=", 1)[1]
    response = auth.logout()
    assert response.status_code == 303 and response.location == "/login"
    assert response.headers["Clear-Site-Data"] == '"cache"'
    cleared = session_cookie(response)[0]
    assert "Max-Age=0" in cleared or "Expires=Thu, 01 Jan 1970" in cleared
    client.set_cookie("gatehouse_session", signed)
    assert client.get("/").status_code == 303
    with app.app_context():
        from app.extensions import db

        assert db.session.query(LoginSession).one().revoked_at is not None


def test_logout_post_without_csrf_changes_nothing(client, auth):
    auth.login()
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_logout_when_signed_out_is_harmless(client):
    token = csrf_token(client, "/login")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303


def test_logout_page_when_signed_out_offers_sign_in_not_sign_out(client):
    page = client.get("/logout").get_data(as_text=True)
    assert "You are not signed in" in page and 'href="/login"' in page
    assert "<form" not in page and "Sign out</button>" not in page


def test_credentials_in_query_string_do_nothing(client, app):
    response = client.get(f"/login?password={PASSWORD}")
    assert response.status_code == 200 and not session_cookie(response) and count_rows(app) == 0


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(client, method):
    response = client.open("/login", method=method)
    assert response.status_code == 405 and b"Traceback" not in response.data


def test_login_without_csrf_is_400_and_checks_nothing(client, app):
    response = client.post("/login", data={"password": PASSWORD})
    assert response.status_code == 400 and b"This form has expired" in response.data
    assert count_rows(app) == 0 and not session_cookie(response)


def test_csrf_token_of_another_browser_is_rejected(app, client):
    other = app.test_client()
    foreign = csrf_token(other)
    client.get("/login")
    response = client.post("/login", data={"csrf_token": foreign, "password": PASSWORD})
    assert response.status_code == 400 and count_rows(app) == 0


# Bad-input cases that reach the login form: a clear 4xx, no row, no cookie, no 500.
BAD_LOGIN_BODIES = [
    {},  # no password field
    {"password": ""},
    {"password": "a" * 72},
    {"password": "a" * 73},
    {"password": "x" * 10_000},
    {"password": PASSWORD + "\x00"},
    {"password": PASSWORD[:10]},
    {"password": ["a", "b"]},
]


@pytest.mark.parametrize("body", BAD_LOGIN_BODIES)
def test_bad_login_inputs_fail_cleanly(client, app, body):
    token = csrf_token(client)
    response = client.post("/login", data={"csrf_token": token, **body})
    assert response.status_code in (400, 401, 413)
    assert b"Traceback" not in response.data and not session_cookie(response)
    assert count_rows(app) == 0


def test_invalid_utf8_form_body_fails_cleanly(client, app):
    token = csrf_token(client)
    response = client.post("/login", data=f"csrf_token={token}&password=%FF%FE".encode(),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 401 and count_rows(app) == 0


def test_oversized_body_is_413(client, app):
    token = csrf_token(client)
    response = client.post("/login", data={"csrf_token": token, "password": "x" * (17 * 1024)})
    assert response.status_code == 413 and b"Traceback" not in response.data and count_rows(app) == 0


@pytest.mark.parametrize("cookie", ["random", "a.b", "x" * 4000, "tok%00en", "\u00e9\u00e9.sig"])
def test_garbage_session_cookie_is_anonymous(client, cookie):
    client.set_cookie("gatehouse_session", cookie)
    assert client.get("/").status_code == 303


def test_cookie_signed_with_other_key_is_rejected(client, auth, make_app):
    signed = session_cookie(auth.login())[0].split(";")[0].split("=", 1)[1]
    other = make_app(GATEHOUSE_SECRET_KEY="another-secret-key-of-enough-length-xx")
    other_client = other.test_client()
    other_client.set_cookie("gatehouse_session", signed)
    assert other_client.get("/").status_code == 303


def test_previous_secret_key_keeps_sessions(client, auth, make_app):
    from tests.support.app import SECRET

    signed = session_cookie(auth.login())[0].split(";")[0].split("=", 1)[1]
    rotated = make_app(GATEHOUSE_SECRET_KEY="the-new-secret-key-of-enough-length-xx", GATEHOUSE_SECRET_KEY_PREVIOUS=SECRET)
    rotated_client = rotated.test_client()
    rotated_client.set_cookie("gatehouse_session", signed)
    assert rotated_client.get("/").status_code == 200


def test_bearer_header_works_and_never_falls_back_to_cookie(client, auth):
    signed = session_cookie(auth.login())[0].split(";")[0].split("=", 1)[1]
    assert client.get("/", headers={"Authorization": f"Bearer {signed}"}).status_code == 200
    assert client.get("/", headers={"Authorization": "Bearer a.b.c"}).status_code == 303
    assert client.get("/", headers={"Authorization": "Basic Zm9vOmJhcg=="}).status_code == 303


def test_anonymous_visits_store_nothing(client, app):
    for _ in range(20):
        client.get("/login")
        client.get("/logout")
        client.get("/")
    assert count_rows(app) == 0


def test_head_never_takes_the_post_path(client, auth, app):
    """Flask answers HEAD on every GET route and flask-wtf does not check CSRF on it."""
    auth.login()
    assert client.head("/logout").status_code == 200
    assert client.get("/").status_code == 200  # still signed in
    other = app.test_client()
    assert other.head("/login", data={"password": PASSWORD}).status_code == 200
    assert not session_cookie(other.head("/login", data={"password": PASSWORD}))


def test_sign_in_rotates_the_csrf_secret(client):
    """A form token from before sign-in is refused after it; a fresh one works."""
    before = csrf_token(client, "/login")
    signed_in = client.post("/login", data={"csrf_token": before, "password": PASSWORD, "next": "/"})
    assert signed_in.status_code == 303
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400
    assert client.get("/").status_code == 200  # still signed in
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/logout")}).status_code == 303
