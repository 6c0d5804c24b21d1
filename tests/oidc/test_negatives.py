"""What the OpenID Provider refuses (SPEC §16): redirect URI variants, reused and stale codes,
PKCE missing or wrong, wrong secrets, prompt=none without a session, odd input. Each refusal
changes nothing, is never a 500, and never sends the browser to an unregistered address."""

from __future__ import annotations

import base64
import logging
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.models import utcnow
from app.oidc import clients
from app.oidc.models import OidcCode
from app.services import master_password
from tests.support.app import PASSWORD
from tests.support.oidc import (
    ISSUER, REDIRECT, authorize_url, exchange, get_code, pkce, query_of, refresh, register, userinfo,
)

VARIANTS = [
    "https://app.example.org/callback/",  # a trailing slash
    "https://APP.example.org/callback",  # another case
    "https://app.example.org/callback?x=1",  # a query added
    "http://app.example.org/callback",  # plain http
    "https://app.example.org:443/callback",  # the default port spelt out
    "https://app.example.org/callback/../callback",
    "https://app.example.org.evil.example/callback",
    "https://evil.example/callback",
    "https://app.example.org/callback#frag",
    "https://app.example.org/cällback",  # characters Authlib will not even put in an error message
]


@pytest.mark.parametrize("redirect_uri", VARIANTS)
def test_a_redirect_uri_not_registered_exactly_gets_a_page_never_a_redirect(app, client, auth, redirect_uri):
    client_id, _secret = register(app)
    auth.login()
    response = client.get(authorize_url(client_id, redirect_uri=redirect_uri))
    assert response.status_code == 400 and response.location is None
    assert "This sign-in link is not valid" in response.get_data(as_text=True)


def test_an_unknown_app_or_a_missing_redirect_uri_gets_a_page(app, client, auth):
    client_id, _secret = register(app, redirect_uris=[REDIRECT, "https://app.example.org/other"])
    auth.login()
    for url in (authorize_url("no-such-app"), authorize_url(client_id, redirect_uri=None)):
        response = client.get(url)
        assert response.status_code == 400 and response.location is None


@pytest.mark.parametrize("response_type", ["token", "id_token", "code id_token", "code token", '"'])
def test_only_the_code_flow_is_served(app, client, auth, response_type):
    client_id, _secret = register(app)
    auth.login()
    response = client.get(authorize_url(client_id, response_type=response_type))
    if response.status_code == 302:  # a known app and redirect URI: the app is told
        query = query_of(response.location)
        assert response.location.startswith(REDIRECT) and query["error"] == "unsupported_response_type"
        assert query["iss"] == ISSUER and query["state"] == "st-123" and "code" not in query
    else:
        assert response.status_code == 400 and response.location is None


def test_prompt_none_without_a_session_answers_login_required(app, client):
    client_id, _secret = register(app)
    response = client.get(authorize_url(client_id, prompt="none"))
    assert response.status_code == 302
    assert query_of(response.location) == {"error": "login_required", "state": "st-123", "iss": ISSUER}


def test_prompt_none_with_an_old_sign_in_and_max_age_answers_login_required(app, client, auth):
    client_id, _secret = register(app)
    auth.login()
    response = client.get(authorize_url(client_id, prompt="none", max_age="0"))
    assert response.status_code == 302 and query_of(response.location)["error"] == "login_required"


def test_a_state_or_nonce_too_long_is_refused(app, client, auth):
    client_id, _secret = register(app)
    auth.login()
    response = client.get(authorize_url(client_id, nonce="n" * 513))
    assert response.status_code == 302 and query_of(response.location)["error"] == "invalid_request"


def test_a_code_works_once_and_its_second_use_revokes_what_the_first_gave(app, client, auth):
    client_id, secret = register(app)
    auth.login()
    code = get_code(client, client_id, scope="openid offline_access")
    first = exchange(client, client_id, secret, code).get_json()
    assert userinfo(client, first["access_token"]).status_code == 200
    second = exchange(client, client_id, secret, code)
    assert second.status_code == 400 and second.get_json()["error"] == "invalid_grant"
    assert userinfo(client, first["access_token"]).status_code == 401
    assert refresh(client, client_id, secret, first["refresh_token"]).status_code == 400


def test_a_code_older_than_60_seconds_is_refused(app, client, auth):
    client_id, secret = register(app)
    auth.login()
    code = get_code(client, client_id)
    with app.app_context():
        db.session.execute(update(OidcCode).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    response = exchange(client, client_id, secret, code)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"


def test_a_code_is_bound_to_its_app_and_redirect_uri(app, client, auth):
    client_id, secret = register(app)
    other_id, other_secret = register(app, "other")
    auth.login()
    response = exchange(client, other_id, other_secret, get_code(client, client_id, nonce="a"))
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"
    response = exchange(client, client_id, secret, get_code(client, client_id, nonce="b"),
                        redirect_uri="https://app.example.org/callback/")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"


def test_a_public_app_without_pkce_is_refused_at_the_authorization_request(app, client, auth):
    client_id, _secret = register(app, "phone", public=True)
    auth.login()
    response = client.get(authorize_url(client_id))
    query = query_of(response.location)
    assert response.status_code == 302 and query["error"] == "invalid_request" and "code" not in query


def test_pkce_plain_is_refused(app, client, auth):
    client_id, _secret = register(app, "phone", public=True)
    auth.login()
    verifier, _challenge = pkce()
    for method in ("plain", None):
        response = client.get(authorize_url(client_id, code_challenge=verifier, code_challenge_method=method))
        assert query_of(response.location)["error"] == "invalid_request"


@pytest.mark.parametrize("verifier", [None, "wrong" * 10])
def test_pkce_verifier_missing_or_wrong_is_refused(app, client, auth, verifier):
    client_id, _secret = register(app, "phone", public=True)
    auth.login()
    _right, challenge = pkce()
    code = get_code(client, client_id, code_challenge=challenge, code_challenge_method="S256")
    extra = {"code_verifier": verifier} if verifier else {}
    response = exchange(client, client_id, None, code, **extra)
    assert response.status_code == 400 and response.get_json()["error"] in ("invalid_request", "invalid_grant")
    assert "access_token" not in response.get_json()


def test_a_confidential_app_that_sent_a_challenge_must_send_the_verifier(app, client, auth):
    client_id, secret = register(app)
    auth.login()
    _verifier, challenge = pkce()
    code = get_code(client, client_id, code_challenge=challenge, code_challenge_method="S256")
    response = exchange(client, client_id, secret, code)
    assert response.status_code == 400 and "access_token" not in response.get_json()


@pytest.mark.parametrize("post", [False, True])
def test_a_wrong_secret_is_refused_and_counts_for_the_limiter(app, client, auth, post, caplog):
    client_id, secret = register(app)
    auth.login()
    code = get_code(client, client_id)
    with caplog.at_level(logging.WARNING, logger="gatehouse.auth"):
        response = exchange(client, client_id, secret + "x", code, post=post)
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_client"
    assert any(getattr(r, "event", None) == "login_failed" and getattr(r, "step", None) == "client secret"
               for r in caplog.records)
    # The failure started a backoff for this address: the right secret right away is held back.
    again = exchange(client, client_id, secret, code, post=post)
    assert again.status_code == 429 and "Retry-After" in again.headers and again.get_json()["error"] == "rate_limited"
    assert "Wrong app secret" in client.get("/activity").get_data(as_text=True)


def test_an_unknown_client_id_at_the_token_endpoint_is_invalid_client(app, client):
    response = exchange(client, "nobody", "secret", "code")
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_client"


@pytest.mark.parametrize("data", [
    {}, {"grant_type": "password", "username": "admin", "password": "x"}, {"grant_type": "client_credentials"},
    {"grant_type": "authorization_code"}, {"grant_type": "authorization_code", "code": "ü\u0000"},
    {"grant_type": '"\\'},
])
def test_odd_token_requests_get_an_oauth_error_never_a_500(app, client, data):
    client_id, secret = register(app)
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    response = client.post("/oidc/token", data=data, headers={"Authorization": f"Basic {basic}"})
    assert 400 <= response.status_code < 500 and "error" in response.get_json()


def test_userinfo_without_or_with_a_bad_token_is_401(app, client):
    assert client.get("/oidc/userinfo").status_code == 401
    response = userinfo(client, "not-a-token")
    assert response.status_code == 401 and "invalid_token" in response.headers["WWW-Authenticate"]


def test_a_database_fault_at_the_token_endpoint_is_503_with_retry_after(app, client, monkeypatch):
    client_id, secret = register(app)

    def down(*_args):
        raise OperationalError("SELECT", {}, Exception("database is locked"))

    monkeypatch.setattr(clients, "find", down)
    response = exchange(client, client_id, secret, "code")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.get_json()["error"] == "unavailable"


def test_no_secret_code_or_token_reaches_the_log(app, client, auth, caplog):
    client_id, secret = register(app)
    with caplog.at_level(logging.DEBUG):
        auth.login()
        code = get_code(client, client_id, scope="openid offline_access")
        body = exchange(client, client_id, secret, code).get_json()
        refresh(client, client_id, secret, body["refresh_token"])
        userinfo(client, body["access_token"])
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    for value in (secret, code, body["access_token"], body["refresh_token"], body["id_token"]):
        assert value not in logged


def test_with_the_provider_off_every_route_is_404(make_app):
    app = make_app()
    with app.app_context():
        master_password.set_first(PASSWORD)
    client = app.test_client()
    for path in ("/.well-known/openid-configuration", "/oidc/jwks", "/oidc/authorize", "/oidc/userinfo",
                 "/oidc/logout"):
        assert client.get(path).status_code == 404
    assert client.post("/oidc/token", data={"grant_type": "authorization_code"}).status_code == 404


@pytest.mark.parametrize("data, error", [({}, "invalid_request"),
                                         ({"token": "x", "token_type_hint": "id_token"}, "unsupported_token_type")])
def test_odd_revocation_requests_are_oauth_errors(app, client, data, error):
    client_id, secret = register(app)
    response = client.post("/oidc/revoke", data={"client_id": client_id, "client_secret": secret, **data})
    assert response.status_code == 400  # RFC 7009 §2.2.1 (Authlib alone answers unsupported_token_type with 401)
    assert response.get_json()["error"] == error


@pytest.mark.parametrize("query", ["id_token_hint=garbage", "id_token_hint=a.b.c", "client_id=%22%5C"])
def test_odd_logout_requests_get_a_page_never_a_500(app, client, auth, query):
    auth.login()
    response = client.get(f"/oidc/logout?{query}")
    assert response.status_code in (200, 400) and response.location is None
    assert client.get("/").status_code == 200  # nobody was signed out by a GET without a valid hint
