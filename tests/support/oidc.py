"""Helpers for the OpenID Provider's tests: an app with the provider on, a registered app, PKCE,
and the authorization request / token exchange as an app makes them."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet

from app.oidc import clients

ISSUER = "http://localhost"
REDIRECT = "https://app.example.org/callback"


def oidc_settings(**extra):
    return {"GATEHOUSE_OIDC": True, "GATEHOUSE_PUBLIC_URL": ISSUER, "GATEHOUSE_EMAIL": "admin@example.org", **extra}


def register(app, name: str = "grafana", **options):
    """(client_id, client_secret or None) of a newly registered app."""
    options.setdefault("redirect_uris", [REDIRECT])
    uris = options.pop("redirect_uris")
    with app.app_context():
        client, secret = clients.add(name, uris, options.pop("post_logout", []), **options)
    return client.client_id, secret


def pkce() -> tuple[str, str]:
    """(verifier, S256 challenge)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(client_id: str, redirect_uri: str = REDIRECT, **params) -> str:
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
             "scope": "openid profile email groups", "state": "st-123", "nonce": "n-456", **params}
    return "/oidc/authorize?" + urlencode({k: v for k, v in query.items() if v is not None})


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def get_code(client, client_id: str, **params) -> str:
    response = client.get(authorize_url(client_id, **params))
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    query = query_of(response.location)
    assert query["state"] == params.get("state", "st-123") and query["iss"] == ISSUER
    return query["code"]


def exchange(client, client_id: str, secret: str | None, code: str, redirect_uri: str = REDIRECT,
             post: bool = False, **extra):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, **extra}
    headers = {}
    if secret and not post:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    else:
        data["client_id"] = client_id
        if secret:
            data["client_secret"] = secret
    return client.post("/oidc/token", data=data, headers=headers)


def refresh(client, client_id: str, secret: str | None, refresh_token: str):
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}
    if secret:
        data["client_secret"] = secret
    return client.post("/oidc/token", data=data)


def id_claims(client, id_token: str) -> dict:
    keys = KeySet.import_key_set(client.get("/oidc/jwks").get_json())
    return dict(jwt.decode(id_token, keys, algorithms=["RS256"]).claims)


def userinfo(client, access_token: str):
    return client.get("/oidc/userinfo", headers={"Authorization": f"Bearer {access_token}"})
