"""The Authlib AuthorizationServer, wired once per app, and the discovery document (docs/oidc.md).

`init_app` runs from `create_app` only with GATEHOUSE_OIDC=1: it makes (or checks) the signing
key file, so a key file others can read stops start-up like the secret key does, and keeps the
server in `app.extensions["gatehouse.oidc"]`. With the provider off, `state()` is None and the
routes answer 404.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from flask import Flask, current_app

from app.oidc import clients, grants, keys, tokens
from app.oidc.claims import CLAIMS, SCOPES
from app.runtime import metrics
from app.web import headers

_KEY = "gatehouse.oidc"
_ORIGINS = "gatehouse.oidc.origins"
ORIGINS_SECONDS = 10.0
PATHS = {"authorization_endpoint": "/oidc/authorize", "token_endpoint": "/oidc/token",
         "userinfo_endpoint": "/oidc/userinfo", "jwks_uri": "/oidc/jwks", "revocation_endpoint": "/oidc/revoke",
         "end_session_endpoint": "/oidc/logout"}


class Server(AuthorizationServer):
    """Authlib's Flask server; apps come from app/oidc/clients.py, tokens go to app/oidc/tokens.py."""

    def query_client(self, client_id):
        return clients.find(client_id)

    def save_token(self, token, request):
        if request.payload.grant_type == "refresh_token":
            tokens.save(token, request.client, request.user, family=request.refresh_token.family)
            metrics.OIDC_TOKENS_REFRESH.inc()
        else:
            tokens.save(token, request.client, request.user, code_id=request.authorization_code.pk)
            metrics.OIDC_TOKENS_CODE.inc()


@dataclass(frozen=True)
class OidcState:
    server: Server
    keyring: keys.KeyRing
    issuer_parameter: grants.Issuer  # also added by hand to error redirects made before the grant


def init_app(app: Flask) -> None:
    if not app.config["GATEHOUSE_OIDC"]:
        return
    # Authlib logs issued tokens (and codes) at DEBUG: never let those lines out, whatever the root level.
    logging.getLogger("authlib").setLevel(logging.WARNING)
    path = Path(app.config["GATEHOUSE_INSTANCE_DIR"]) / keys.FILE_NAME
    keys.ensure(path)
    server = Server()
    server.init_app(app)
    server.register_token_generator("default", grants.token_generator())
    server.register_grant(grants.CodeGrant, [grants.S256Challenge(required=True), grants.OpenIDCodeFlow()])
    server.register_grant(grants.RefreshGrant)
    issuer_parameter = grants.Issuer()
    server.register_extension(issuer_parameter)
    for method, authenticate in grants.GUARDED_AUTH.items():
        server.register_client_auth_method(method, authenticate)
    protector = ResourceProtector()
    protector.register_token_validator(grants.BearerValidator())
    server.register_endpoint(grants.UserInfo(resource_protector=protector))
    server.register_endpoint(grants.Revocation)
    server.register_endpoint(grants.EndSession)
    app.extensions[_KEY] = OidcState(server, keys.KeyRing(path), issuer_parameter)
    # The sign-in (and the app's sign-out page) ends on an app's redirect URI: a form's POST,
    # then redirects there, which CSP form-action must allow.
    headers.add_form_action_sources(app, ("auth.login", "auth.login_code", "oidc.end_session"), _app_origins)


def _app_origins() -> tuple[str, ...]:
    """The registered apps' origins, read at most every ORIGINS_SECONDS (a new app from the CLI
    is seen within that time; the sign-in form is a page anyone may load often)."""
    kept = current_app.extensions.get(_ORIGINS)
    if kept is None or time.monotonic() - kept[0] > ORIGINS_SECONDS:
        kept = current_app.extensions[_ORIGINS] = (time.monotonic(), clients.origins())
    return kept[1]


def state() -> OidcState | None:
    return current_app.extensions.get(_KEY)


def discovery() -> dict:
    """OpenID Connect Discovery 1.0 §3 metadata (plus RFC 7009, RFC 9207, RFC 7636, RP-initiated logout)."""
    issuer = current_app.config["GATEHOUSE_PUBLIC_URL"]
    methods = ["client_secret_basic", "client_secret_post", "none"]
    return {
        "issuer": issuer,
        **{name: issuer + path for name, path in PATHS.items()},
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [keys.ALGORITHM],
        "token_endpoint_auth_methods_supported": methods,
        "revocation_endpoint_auth_methods_supported": methods,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": list(CLAIMS),
        "prompt_values_supported": ["none", "login"],
        "authorization_response_iss_parameter_supported": True,
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
    }
