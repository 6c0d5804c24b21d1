"""The OpenID Provider's routes (docs/oidc.md): discovery, keys, and thin views onto Authlib's
server (app/oidc/server.py) and our sign-in decisions (flow.py, logout.py). Registered only
with GATEHOUSE_OIDC=1 (app/factory.py): off, every route here is 404.

The token and revocation endpoints check client secrets, so they are guarded views of the
login limiter; the machine endpoints answer errors as JSON (`errors.answers_json`) and take no
CSRF token (apps authenticate with their secret or PKCE, not a browser cookie).
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from app.extensions import csrf, limiter
from app.oidc import flow, logout, server
from app.web import errors, signed_in

bp = Blueprint("oidc", __name__)


@bp.get("/.well-known/openid-configuration")
@errors.answers_json
def configuration():
    """OpenID Connect Discovery 1.0: where everything is, and what is supported."""
    return jsonify(server.discovery())


@bp.get("/oidc/jwks")
@errors.answers_json
def jwks():
    """The public signing keys (the current one and any retired one still in use)."""
    return jsonify(server.state().keyring.public_jwks())


@bp.get("/oidc/authorize")
def authorize():
    """An app's sign-in request: a code for the app, or our sign-in first (app/oidc/flow.py)."""
    return flow.authorize(signed_in.current_session())


@bp.post("/oidc/token")
@csrf.exempt
@limiter.guarded
@errors.answers_json
def token():
    """A code (or a refresh token) for tokens; the app authenticates with its secret or PKCE."""
    return server.state().server.create_token_response()


@bp.route("/oidc/userinfo", methods=["GET", "POST"])
@csrf.exempt
@errors.answers_json
def userinfo():
    """The claims for a live access token; refused once its granting session ended."""
    return server.state().server.create_endpoint_response("userinfo")


@bp.post("/oidc/revoke")
@csrf.exempt
@limiter.guarded
@errors.answers_json
def revoke():
    """RFC 7009: the app gives a token back (200 whether or not it was known)."""
    return server.state().server.create_endpoint_response("revocation")


@bp.route("/oidc/logout", methods=["GET", "POST"])
@csrf.exempt
def end_session():
    """RP-initiated logout (app/oidc/logout.py)."""
    return logout.end_session()
