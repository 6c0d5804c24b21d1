"""Home, health probes, error pages and the headers every response carries."""

import re

from tests.support.app import PASSWORD


def test_home_shows_session_expiry_and_sign_out(client, auth):
    auth.login()
    body = client.get("/").get_data(as_text=True)
    assert "Signed in" in body and "This session ends at" in body and 'href="/logout"' in body


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.data == b"ok\n"


def test_readyz_ok_and_down(make_app, tmp_path):
    ok = make_app()
    assert ok.test_client().get("/readyz").status_code == 200
    broken = make_app(GATEHOUSE_DATABASE_URL=f"sqlite:///{tmp_path}/missing-dir/x.db")
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503 and b"Traceback" not in response.data


def test_security_headers_on_every_response(client):
    for path in ["/login", "/healthz", "/nope", "/static/css/gatehouse.css"]:
        headers = client.get(path).headers
        assert headers["Content-Security-Policy"] == (
            "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        )
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in headers  # cookies are not Secure in this app


def test_security_headers_once_each_and_hsts_when_secure(make_app):
    """Headers are added once per response (a repeated header could be read either way), HSTS only when Secure."""
    secure = make_app(GATEHOUSE_COOKIE_SECURE=True).test_client()
    for path, method in [("/healthz", "GET"), ("/login", "GET"), ("/healthz", "POST"), ("/static/css/gatehouse.css", "GET")]:
        response = secure.open(path, method=method)
        for name in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options",
                     "Strict-Transport-Security"):
            assert len(response.headers.getlist(name)) == 1, (path, method, name)
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
        assert len(response.headers.getlist("Cache-Control")) <= 1
    assert secure.post("/healthz").status_code == 405


def test_no_store_on_pages_not_on_static(client, auth):
    auth.login()
    assert client.get("/").headers["Cache-Control"] == "no-store"
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    assert client.get("/static/css/gatehouse.css").headers.get("Cache-Control") != "no-store"


def test_no_inline_script_or_style(client):
    body = client.get("/login").get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", body, flags=re.S)
    assert scripts == [(' src="/static/js/passkeys.js" defer', "")]  # one static file, nothing inline
    assert "style=" not in body and "<style" not in body


def test_404_is_rendered_html(client):
    response = client.get("/does-not-exist")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert b"404" in response.data and b"Traceback" not in response.data


def test_api_errors_are_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


def test_unexpected_error_is_a_plain_500(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom")
    assert response.status_code == 500
    assert b"secret internals" not in response.data and b"Traceback" not in response.data


def test_database_outage_is_503_not_a_stack_trace(app, client):
    from sqlalchemy.orm import scoped_session, sessionmaker

    from app.database import Connections, make_engine
    from tests.support.app import csrf_token

    token = csrf_token(client)
    broken = make_engine("sqlite:////nonexistent/dir/x.db")
    app.extensions["gatehouse.db"] = Connections(broken, scoped_session(sessionmaker(bind=broken)))
    response = client.post("/login", data={"csrf_token": token, "password": PASSWORD})
    assert response.status_code == 503 and "Retry-After" in response.headers
    assert b"Traceback" not in response.data and b"sqlite" not in response.data
