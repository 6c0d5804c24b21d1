"""Tokens die with the session that granted them (SPEC §16): sign-out, a revoked session, a
password change, codes on or off, RFC 7009 revocation, removing the app; across instances."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.oidc.models import OidcToken
from app.services import master_password, two_factor
from tests.support.app import PASSWORD, AuthActions, csrf_token
from tests.support.oidc import exchange, get_code, oidc_settings, refresh, register, userinfo
from tests.support.two_factor import NOW, code_clock, code_for, enable_codes


def grant(app, client, name="grafana", **options):
    """(client_id, secret, token response) for a signed-in `client`, with a refresh token."""
    client_id, secret = register(app, name, **options)
    body = exchange(client, client_id, secret, get_code(client, client_id, scope="openid offline_access")).get_json()
    assert userinfo(client, body["access_token"]).status_code == 200
    return client_id, secret, body


def dead(client, client_id, secret, body) -> bool:
    return (userinfo(client, body["access_token"]).status_code == 401
            and refresh(client, client_id, secret, body["refresh_token"]).status_code == 400)


def revoked_rows(app) -> list:
    with app.app_context():
        return db.session.scalars(select(OidcToken.revoked_at)).all()


def test_signing_out_ends_the_apps_tokens(app, client, auth):
    auth.login()
    client_id, secret, body = grant(app, client)
    auth.logout()
    assert dead(client, client_id, secret, body)


def test_revoking_the_session_on_the_sessions_page_ends_them(app, client, auth):
    other = app.test_client()
    AuthActions(other).login()
    client_id, secret, body = grant(app, other)
    auth.login()
    with app.app_context():
        other_id = db.session.scalar(select(OidcToken.session_id))
    response = client.post(f"/sessions/{other_id}/revoke", data={"csrf_token": csrf_token(client, "/sessions")})
    assert response.status_code == 303
    assert dead(client, client_id, secret, body)


def test_a_password_change_ends_them(app, client, auth):
    auth.login()
    client_id, secret, body = grant(app, client)
    new = "another long master password"
    response = client.post("/password", data={"csrf_token": csrf_token(client, "/password"), "current": PASSWORD,
                                              "new": new, "confirm": new})
    assert response.status_code == 303
    assert dead(client, client_id, secret, body)


def test_turning_codes_on_and_off_revokes_app_tokens(app, client, auth, monkeypatch):
    auth.login()
    client_id, secret, body = grant(app, client)
    totp, _recovery = enable_codes(app)
    assert dead(client, client_id, secret, body) and all(revoked_rows(app))
    clock = code_clock(monkeypatch, NOW + 30)
    client.get("/logout")
    AuthActions(client).login()
    client.post("/login/code", data={"csrf_token": csrf_token(client, "/login"), "code": code_for(totp, clock.now)})
    client_id2, secret2, body2 = grant(app, client, "second")
    clock.advance(30)
    response = client.post("/two-factor/totp/disable", data={"csrf_token": csrf_token(client, "/two-factor"),
                                                             "password": PASSWORD, "code": code_for(totp, clock.now)})
    assert response.status_code == 303 and not two_factor_on(app)
    assert dead(client, client_id2, secret2, body2)


def two_factor_on(app) -> bool:
    with app.app_context():
        return two_factor.required()


def test_rfc7009_revocation_ends_the_token_and_its_family(app, client, auth):
    auth.login()
    client_id, secret, body = grant(app, client)
    other_id, other_secret = register(app, "other")
    response = client.post("/oidc/revoke", data={"token": body["access_token"], "client_id": other_id,
                                                 "client_secret": other_secret})
    assert response.status_code == 400 and userinfo(client, body["access_token"]).status_code == 200  # not its token
    response = client.post("/oidc/revoke", data={"token": body["access_token"], "client_id": client_id,
                                                  "client_secret": secret})
    assert response.status_code == 200 and dead(client, client_id, secret, body)
    unknown = client.post("/oidc/revoke", data={"token": "never-issued", "client_id": client_id, "client_secret": secret})
    assert unknown.status_code == 200


def test_a_code_from_a_session_signed_out_before_the_exchange_is_refused(app, client, auth):
    client_id, secret = register(app)
    auth.login()
    code = get_code(client, client_id)
    auth.logout()
    response = exchange(client, client_id, secret, code)
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"


def test_removing_the_app_ends_its_tokens(app, client, auth):
    auth.login()
    client_id, secret, body = grant(app, client)
    result = app.test_cli_runner().invoke(args=["oidc", "remove", "grafana"])
    assert result.exit_code == 0
    assert userinfo(client, body["access_token"]).status_code == 401
    assert exchange(client, client_id, secret, "x").status_code == 401  # the app itself is gone


def test_sign_out_on_one_instance_is_refused_by_userinfo_on_another_at_once(make_app, redis_url, redis_prefix):
    """Two app objects on one database and one Redis stand in for two workers."""
    settings = oidc_settings(GATEHOUSE_CACHE="redis", GATEHOUSE_REDIS_URL=redis_url, GATEHOUSE_REDIS_PREFIX=redis_prefix)
    one, two = make_app(**settings), make_app(**settings)
    with one.app_context():
        master_password.set_first(PASSWORD)
    browser = one.test_client()
    AuthActions(browser).login()
    client_id, secret, body = grant(one, browser)
    elsewhere = two.test_client()
    assert userinfo(elsewhere, body["access_token"]).status_code == 200
    AuthActions(browser).logout()
    assert userinfo(elsewhere, body["access_token"]).status_code == 401
