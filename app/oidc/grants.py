"""Authlib's grants and endpoints, given our storage and rules (docs/oidc.md).

Everything protocol-shaped is Authlib's: request parsing and validation, PKCE, nonce, prompt,
the ID token, the token, userinfo, revocation and end-session responses. The subclasses below
only say where things are stored and add our rules:
- PKCE: `S256` only, and required for public apps already at the authorization request
  (Authlib alone would accept `plain` and notice a missing challenge only at the token endpoint);
- refresh tokens only with `offline_access`, rotated on every use; a reused one revokes its family;
- client secrets are checked as guarded checks of the login limiter (`guarded_auth`);
- revocation's `unsupported_token_type` is a 400, as RFC 7009 §2.2.1 says (Authlib answers 401).
"""

from __future__ import annotations

import time

from authlib.common.security import generate_token
from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, grants
from authlib.oauth2.rfc6749.authenticate_client import (
    authenticate_client_secret_basic, authenticate_client_secret_post,
)
from authlib.oauth2.rfc6749.errors import InvalidClientError, OAuth2Error, UnsupportedTokenTypeError
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc9207 import IssuerParameter
from authlib.oidc.core import OpenIDCode, UserInfoEndpoint
from authlib.oidc.rpinitiated import EndSessionEndpoint
from flask import current_app

from app.oidc import claims, codes, keys, tokens
from app.services import login_sessions, secret_checks
from app.web.client import client_ip

CLIENT_AUTH = ["client_secret_basic", "client_secret_post", "none"]
CLIENT_SECRET = "client secret"  # the SecretCheck step (app/signals.py) of an app's secret


def _keyring() -> keys.KeyRing:
    return current_app.extensions["gatehouse.oidc"].keyring


def issuer() -> str:
    return current_app.config["GATEHOUSE_PUBLIC_URL"]


class TokenGenerator(BearerTokenGenerator):
    """Authlib's bearer tokens, with a refresh token only when `offline_access` was granted."""

    def generate(self, grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=True):
        offline = "offline_access" in (scope or "").split()
        return super().generate(grant_type, client, user, scope, expires_in, include_refresh_token and offline)


def token_generator() -> TokenGenerator:
    return TokenGenerator(lambda **_: generate_token(48), lambda **_: generate_token(48),
                          lambda client, grant_type: tokens.ACCESS_SECONDS)


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH

    def save_authorization_code(self, code, request):
        payload = request.payload.data
        codes.store(code, request.client.pk, request.user, request.payload.redirect_uri or "",
                    request.scope, payload.get("nonce"), payload.get("code_challenge"),
                    payload.get("code_challenge_method"))

    def query_authorization_code(self, code, client):
        return codes.take(code, client.pk, client.groups)

    def delete_authorization_code(self, authorization_code):
        """Kept (spent) until purged: a second use must still be recognised, and revoke."""

    def authenticate_user(self, authorization_code):
        grantor = authorization_code.grantor
        return grantor if login_sessions.is_live(grantor.session_id) else None


class RefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every refresh gives a new refresh token

    def authenticate_refresh_token(self, refresh_token):
        return tokens.find_refresh(refresh_token)

    def validate_token_request(self):
        super().validate_token_request()  # the client, then the token is this client's
        if not tokens.spend_refresh(self.request.refresh_token):
            raise InvalidGrantError("The refresh token was used already.")

    def authenticate_user(self, refresh_token):
        grantor = refresh_token.get_user()
        login_sessions.touch_by_id(grantor.session_id)  # an app in use keeps its session from idling out
        return grantor

    def revoke_old_credential(self, refresh_token):
        """Spent already, in `validate_token_request`, before the new token was made."""


class S256Challenge(CodeChallenge):
    """PKCE with `S256` only; public apps must send a challenge with the authorization request."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant, redirect_uri):
        super().validate_code_challenge(grant, redirect_uri)
        data = grant.request.payload.data
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE needs code_challenge_method=S256.")
        if grant.request.client.public and not data.get("code_challenge"):
            raise InvalidRequestError("This app must use PKCE (code_challenge with code_challenge_method=S256).")


class OpenIDCodeFlow(OpenIDCode):
    """The OpenID Connect part of the code grant: nonce replay, the signed ID token."""

    def exists_nonce(self, nonce, request):
        return codes.nonce_seen(request.client.pk, nonce)

    def resolve_client_private_key(self, client):
        return _keyring().signing_key()

    def get_client_algorithm(self, client):
        return keys.ALGORITHM

    def get_encode_header(self, client):
        return {"alg": keys.ALGORITHM, "kid": _keyring().signing_key().kid}

    def get_client_claims(self, client):
        return {"iss": issuer(), "aud": [client.get_client_id()], "exp": int(time.time()) + keys.ID_TOKEN_SECONDS}

    def generate_user_info(self, user, scope):
        return claims.user_info(user.groups, scope)


class Issuer(IssuerParameter):
    """RFC 9207: `iss` in every authorization response."""

    def get_issuer(self):
        return issuer()


class BearerValidator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        return tokens.find_access(token_string)


class UserInfo(UserInfoEndpoint):
    def generate_user_info(self, user, scope):
        return claims.user_info(user.groups, scope)

    def get_issuer(self):
        return issuer()


class UnsupportedTokenType(OAuth2Error):
    """RFC 7009 §2.2.1's error with RFC 6749 §5.2's status, 400 (Authlib's is a ForbiddenError, 401)."""
    error = "unsupported_token_type"


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = CLIENT_AUTH

    def check_params(self, request, client):
        try:
            super().check_params(request, client)
        except UnsupportedTokenTypeError:
            raise UnsupportedTokenType() from None

    def query_token(self, token_string, token_type_hint):
        return tokens.find_any(token_string)

    def revoke_token(self, token, request):
        """The token and every token of its family (RFC 7009 §2.1: revoking a refresh token
        also ends the access tokens of the same grant)."""
        tokens.revoke_family(token.family)


class EndSession(EndSessionEndpoint):
    def get_server_jwks(self):
        return _keyring().public_jwks()

    def get_algorithms(self):
        return [keys.ALGORITHM]

    def resolve_client_from_id_token_claims(self, id_token_claims):
        """Our ID tokens name one audience, as a one-item list (Authlib's default shape): that app."""
        aud = id_token_claims.get("aud")
        if isinstance(aud, list) and len(aud) == 1:
            aud = aud[0]
        return self.server.query_client(aud) if isinstance(aud, str) else None

    def is_post_logout_redirect_uri_legitimate(self, request, post_logout_redirect_uri, client, logout_hint):
        """Registered exactly for this app, and (without an ID token) confirmed by the admin on
        our page before anything happens (app/oidc/views.py)."""
        return True

    def end_session(self, end_session_request):
        """The browser session is ended by the view (it holds the request's cookie)."""


def guarded_auth(method):
    """Authlib's client_secret_basic/_post, run as this request's guarded check and published as
    a `SecretCheck` (app/services/secret_checks.py): a wrong secret (or an unknown client) counts
    for the login limiter like a wrong password, and is logged and shown in the activity like
    one (docs/security.md, "Login limiter"). A request that presents no such credentials checks
    nothing here."""

    def authenticate(query_client, request):
        if method is authenticate_client_secret_basic:
            presented = all(extract_basic_authorization(request.headers))
        else:
            presented = bool(request.form.get("client_id") and request.form.get("client_secret"))
        if not presented:
            return None
        found = []

        def check() -> bool:
            try:
                found.append(method(query_client, request))
            except InvalidClientError:  # unknown client id: as wrong as a wrong secret
                found.append(None)
            return found[-1] is not None

        if not secret_checks.check(check, step=CLIENT_SECRET, ip=client_ip(), user_agent=request.headers.get("User-Agent")):
            return None
        return found[-1]

    return authenticate


GUARDED_AUTH = {"client_secret_basic": guarded_auth(authenticate_client_secret_basic),
                "client_secret_post": guarded_auth(authenticate_client_secret_post)}
