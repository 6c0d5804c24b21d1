"""The code flow end to end through Flask's test client: sign-in, code, tokens, ID token, userinfo."""

from __future__ import annotations

from tests.support.oidc import (
    ISSUER, REDIRECT, exchange, get_code, id_claims, pkce, query_of, register, userinfo, authorize_url,
)


def test_a_confidential_app_signs_in_and_reads_userinfo(app, client, auth):
    client_id, secret = register(app)
    response = client.get(authorize_url(client_id))
    assert response.status_code == 303 and response.location.startswith("/login?next=/oidc/authorize")
    auth.login(next_path=response.location.split("next=", 1)[1])
    code = get_code(client, client_id)
    tokens = exchange(client, client_id, secret, code)
    assert tokens.status_code == 200, tokens.get_json()
    body = tokens.get_json()
    assert body["token_type"] == "Bearer" and "refresh_token" not in body
    claims = id_claims(client, body["id_token"])
    assert claims["iss"] == ISSUER and claims["aud"] == [client_id] and claims["nonce"] == "n-456"
    assert claims["amr"] == ["pwd"] and claims["groups"] == ["admins"] and claims["preferred_username"] == "admin"
    assert claims["email"] == "admin@example.org" and claims["email_verified"] is True
    info = userinfo(client, body["access_token"])
    assert info.status_code == 200 and info.get_json()["sub"] == claims["sub"]
