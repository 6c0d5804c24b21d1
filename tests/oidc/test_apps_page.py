"""/apps: list, add (secret shown once, stored hashed), remove (its tokens die), refusals."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.extensions import db
from app.oidc.models import OidcClient
from tests.support.app import csrf_token
from tests.support.oidc import exchange, get_code, register, userinfo

SECRET_RE = re.compile(r'<code id="client-secret" class="secret">([^<]+)</code>')


def add(client, **fields):
    data = {"csrf_token": csrf_token(client, "/apps"), "name": "Grafana",
            "redirect_uris": "https://grafana.example.org/login/generic_oauth\n", "groups": "admins", **fields}
    return client.post("/apps", data=data)


def count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(OidcClient))


def test_the_page_needs_a_signed_in_browser(client):
    response = client.get("/apps")
    assert response.status_code == 303 and response.location == "/login?next=/apps"


def test_adding_shows_the_secret_once_and_the_list_never(app, client, auth):
    auth.login()
    page = client.get("/apps").get_data(as_text=True)
    assert "No apps yet." in page and 'id="issuer">http://localhost<' in page
    response = add(client, two_factor="y", post_logout_redirect_uris="https://grafana.example.org/login")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Grafana can sign in through Gatehouse" in body
    secret = SECRET_RE.search(body).group(1)
    listing = client.get("/apps").get_data(as_text=True)
    assert secret not in listing and "https://grafana.example.org/login/generic_oauth" in listing
    assert "two-factor" in listing and "never" in listing
    with app.app_context():
        row = db.session.scalar(select(OidcClient))
        assert secret not in (row.secret_hash or "") and row.policy == "two_factor"
        assert row.post_logout_redirect_uris == "https://grafana.example.org/login"


def test_a_public_app_is_shown_without_a_secret(app, client, auth):
    auth.login()
    body = add(client, public="y").get_data(as_text=True)
    assert SECRET_RE.search(body) is None and "must use PKCE" in body


def test_bad_input_is_400_with_the_reason_and_stores_nothing(app, client, auth):
    auth.login()
    for fields, message in (({"redirect_uris": ""}, "Give at least one redirect URI"),
                            ({"redirect_uris": "javascript:alert(1)"}, "must start with https://"),
                            ({"name": "<script>"}, "The name is"),
                            ({"groups": "admins; drop"}, "Groups are")):
        response = add(client, **fields)
        page = response.get_data(as_text=True)
        assert response.status_code == 400 and message in page and "<script>" not in page  # escaped when shown again
    assert count(app) == 0
    assert client.post("/apps", data={"name": "x", "redirect_uris": "https://a.example.org/cb"}).status_code == 400  # no CSRF
    assert count(app) == 0


def test_remove_ends_the_apps_tokens(app, client, auth):
    client_id, secret = register(app)
    auth.login()
    body = exchange(client, client_id, secret, get_code(client, client_id)).get_json()
    with app.app_context():
        pk = db.session.scalar(select(OidcClient.id))
    response = client.post(f"/apps/{pk}/remove", data={"csrf_token": csrf_token(client, "/apps")})
    assert response.status_code == 303 and count(app) == 0
    assert "grafana was removed" in client.get("/apps").get_data(as_text=True)
    assert userinfo(client, body["access_token"]).status_code == 401
    missing = client.post(f"/apps/{pk}/remove", data={"csrf_token": csrf_token(client, "/apps")})
    assert missing.status_code == 404
    assert client.post(f"/apps/{2**70}/remove", data={"csrf_token": csrf_token(client, "/apps")}).status_code == 404
