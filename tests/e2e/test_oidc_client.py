"""A second relying party: Authlib's own OAuth 2.0 client (authlib.integrations.requests_client)
against real gunicorn, configured from the discovery document alone, as an app would be.

The person's part (the browser) is a requests session that signs in at Gatehouse's form; the
app's part is the client library: PKCE, the code exchange, the ID token checked against the
JWKS, userinfo, a rotating refresh, RFC 7009 revocation.
"""

from __future__ import annotations

import json
import re

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.support.app import PASSWORD
from tests.e2e.server import Server, gatehouse

REDIRECT = "https://app.example.org/callback"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def portal(tmp_path):
    server = Server(tmp_path / "instance", GATEHOUSE_OIDC="1", GATEHOUSE_EMAIL="admin@example.org")
    server.env["GATEHOUSE_PUBLIC_URL"] = server.url
    server.prepare(PASSWORD)
    server.start()
    yield server
    server.stop()


def register(portal, *args) -> dict:
    result = gatehouse(portal.env, "oidc", "add", "python-app", "--redirect-uri", REDIRECT, "--json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def browser_signs_in(portal, authorization_url: str) -> str:
    """What a person does: open the app's link, sign in at Gatehouse; the app's callback URL."""
    browser = requests.Session()
    login = browser.get(authorization_url, timeout=30)
    assert login.url.startswith(portal.url + "/login?next=")
    next_path = re.search(r'id="next" name="next" type="hidden" value="([^"]+)"', login.text).group(1)
    answer = browser.post(portal.url + "/login", data={
        "csrf_token": CSRF.search(login.text).group(1), "password": PASSWORD,
        "next": next_path.replace("&amp;", "&")}, allow_redirects=False, timeout=30)
    assert answer.status_code == 303
    callback = browser.get(portal.url + answer.headers["Location"], allow_redirects=False, timeout=30)
    assert callback.status_code == 302 and callback.headers["Location"].startswith(REDIRECT)
    return callback.headers["Location"]


@pytest.mark.parametrize("public", [False, True], ids=["confidential", "public"])
def test_authlibs_client_signs_in_refreshes_and_revokes(portal, public):
    meta = requests.get(portal.url + "/.well-known/openid-configuration", timeout=10).json()
    app = register(portal, *(["--public"] if public else []))
    client = OAuth2Session(
        app["client_id"], app["client_secret"], scope="openid profile email groups offline_access",
        redirect_uri=REDIRECT, code_challenge_method="S256",
        token_endpoint_auth_method="none" if public else "client_secret_basic",
    )
    verifier = "v" * 64
    url, state = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce="n-1")
    callback = browser_signs_in(portal, url)
    token = client.fetch_token(meta["token_endpoint"], authorization_response=callback, state=state,
                               code_verifier=verifier)
    keys = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
    claims = jwt.decode(token["id_token"], keys, algorithms=meta["id_token_signing_alg_values_supported"]).claims
    jwt.JWTClaimsRegistry(iss={"essential": True, "value": meta["issuer"]},
                          aud={"essential": True, "value": app["client_id"]},
                          nonce={"essential": True, "value": "n-1"}).validate(claims)
    info = client.get(meta["userinfo_endpoint"]).json()
    assert info["sub"] == claims["sub"] and info["email"] == "admin@example.org" and info["groups"] == ["admins"]

    old = token["refresh_token"]
    fresh = client.refresh_token(meta["token_endpoint"], refresh_token=old)
    assert fresh["refresh_token"] != old and client.get(meta["userinfo_endpoint"]).status_code == 200

    revoked = client.revoke_token(meta["revocation_endpoint"], token=fresh["access_token"])
    assert revoked.status_code == 200
    assert client.get(meta["userinfo_endpoint"]).status_code == 401
