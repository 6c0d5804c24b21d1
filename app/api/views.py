"""`/api/v1/auth/*` (README, "API") and `/api/v1/openapi.json`.

CSRF tokens do not fit an API, so the blueprint is exempt from CSRFProtect; instead a
POST that could ride on the browser's cookie must be `application/json`, which a
cross-site form cannot send (and a cross-site script cannot without a CORS preflight
that we never grant). Every password check goes through `login.attempt`.
"""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, abort, jsonify, request, url_for

from app.api.body import BadBody, Field, parse
from app.api.openapi import LABEL_MAX, document
from app.extensions import csrf, limiter
from app.security.passwords import MAX_BYTES
from app.security.redirects import safe_next
from app.services import login as login_service
from app.services import login_sessions
from app.web import session as web_session
from app.web.client import client_ip

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

PASSWORD = Field(max_length=MAX_BYTES, in_bytes=True)
LABEL = Field(max_length=LABEL_MAX, required=False, no_controls=True)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _json_body(fields) -> dict[str, str]:
    """The parsed body. :raise 415: not `application/json`. :raise 422: anything else wrong."""
    if request.mimetype != "application/json":
        abort(415, "Send the body as Content-Type: application/json.")
    try:
        return parse(request.get_data(cache=False), fields)
    except BadBody as exc:
        abort(422, str(exc))


def _unauthorized(message: str):
    """401 with the RFC 6750 challenge; `invalid_token` when a credential was sent but refused."""
    challenge = 'Bearer realm="gatehouse"'
    if "Authorization" in request.headers or web_session.cookie_name() in request.cookies:
        challenge += ', error="invalid_token"'
    return jsonify(error="unauthorized", message=message), 401, {"WWW-Authenticate": challenge}


def _sign_in(fields: dict[str, str], kind: str):
    """The password check of `api.login` and `api.token` (reported to the login limiter by the service)."""
    return login_service.attempt(
        fields["password"], client_ip(), request.user_agent.string, kind=kind, label=fields.get("label") or None
    )


@bp.post("/auth/login")
@limiter.guarded(issues_device=True)
def login():
    """Password → a browser session in the cookie; the token is never in the body."""
    started = _sign_in(_json_body({"password": PASSWORD}), login_sessions.BROWSER)
    if started is None:
        return _unauthorized("Incorrect password.")
    return web_session.start_browser_session(jsonify(expires_at=iso(started.session.expires_at)), started)


@bp.post("/auth/token")
@limiter.guarded
def token():
    """Password (+ optional label) → a bearer token for scripts; never sets a cookie."""
    started = _sign_in(_json_body({"password": PASSWORD, "label": LABEL}), login_sessions.API)
    if started is None:
        return _unauthorized("Incorrect password.")
    return jsonify(token=web_session.signer().sign(started.token), expires_at=iso(started.session.expires_at))


@bp.get("/auth/session", endpoint="session")
def session_status():
    current = web_session.current_session()
    if current is None:
        return _unauthorized("No valid session.")
    return jsonify(valid=True, expires_at=iso(current.expires_at))


@bp.post("/auth/logout")
def logout():
    """End the presented session and clear the cookie; 200 even with nothing to end.

    The cookie is cleared only for a request no cross-site form can send (JSON, or with an
    Authorization header): a `text/plain` form from another site arrives without the
    SameSite=Lax cookie, so it passes the JSON rule below, and must not sign the browser out.
    """
    by_cookie = "Authorization" not in request.headers and web_session.cookie_name() in request.cookies
    is_json = request.mimetype == "application/json"
    if by_cookie and not is_json:
        abort(415, "A cookie-authenticated POST must be Content-Type: application/json.")
    presented = web_session.presented_token()
    if presented:
        login_service.logout(presented, client_ip())
    response = jsonify(message="Logged out successfully.")
    if is_json or "Authorization" in request.headers:
        web_session.end_browser_session(response)
    return response


@bp.get("/auth/verify")
def verify():
    """204 for a live session, else 401: the answer nginx `auth_request` and friends need.

    The 401 also carries `X-Gatehouse-Login`: the login URL with `next` set to the original
    URI the proxy sent (`X-Forwarded-Uri` or `X-Original-URI`), URL-encoded, because nginx
    cannot encode a query string itself. Only a local path is ever put there.
    """
    if web_session.current_session() is None:
        body, status, headers = _unauthorized("No valid session.")
        original = request.headers.get("X-Forwarded-Uri") or request.headers.get("X-Original-URI")
        headers["X-Gatehouse-Login"] = url_for("auth.login", next=safe_next(original))
        return body, status, headers
    return "", 204


@bp.get("/openapi.json")
def openapi():
    return jsonify(document(web_session.cookie_name()))
