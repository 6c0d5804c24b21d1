"""`/api/v1/auth/*` (docs/api.md) and `/api/v1/openapi.json`.

CSRF tokens do not fit an API, so the blueprint is exempt from CSRFProtect; instead a
POST that could ride on the browser's cookie must be `application/json`, which a
cross-site form cannot send (and a cross-site script cannot without a CORS preflight
that we never grant). Every sign-in goes through `login.sign_in`: the password and, with
a second factor on, the `code` in the same body, as one guarded check.
"""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, abort, jsonify, request

from app.api.body import BadBody, Field, Flag, parse
from app.api.openapi import LABEL_MAX, document
from app.extensions import csrf, limiter
from app.security.passwords import MAX_BYTES
from app.security import forward_auth
from app.security.totp import MAX_INPUT as CODE_MAX
from app.services import login as login_service
from app.services import login_sessions, two_factor
from app.web import forward
from app.web import signed_in
from app.web.client import client_ip

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

PASSWORD = Field(max_length=MAX_BYTES, in_bytes=True)
LABEL = Field(max_length=LABEL_MAX, required=False, no_controls=True)
CODE = Field(max_length=CODE_MAX, required=False)
REFUSED = {
    login_service.WRONG_PASSWORD: "Incorrect password.",
    login_service.CODE_REQUIRED: "Two-factor sign-in is on: send the code from the authenticator app as \"code\".",
    login_service.INVALID_CODE: "The code is not right, or was used already.",
}
REMEMBER = Flag()  # "keep me signed in" (SPEC §17): /login only, never a token


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


def _unauthorized(message: str, error: str = "unauthorized"):
    """401 with the RFC 6750 challenge; `invalid_token` when a credential was sent but refused."""
    challenge = 'Bearer realm="gatehouse"'
    if "Authorization" in request.headers or signed_in.cookie_name() in request.cookies:
        challenge += ', error="invalid_token"'
    return jsonify(error=error, message=message), 401, {"WWW-Authenticate": challenge}


def _sign_in(fields: dict, kind: str):
    """Password (+ code) of `api.login` and `api.token`: (outcome, None) or (None, the refusal):
    401, or 503 `codes_unreadable` when no configured key can check an authenticator code."""
    outcome = login_service.sign_in(
        fields["password"], fields.get("code"), client_ip(), request.user_agent.string, kind=kind,
        label=fields.get("label") or None, remember=fields.get("remember", False),
    )
    if outcome.refused == login_service.CODES_UNREADABLE:
        return None, (jsonify(error=outcome.refused, message=two_factor.UNREADABLE), 503)
    if outcome.started is None:
        return None, _unauthorized(REFUSED[outcome.refused], outcome.refused)
    return outcome, None


def _signed_in(outcome: login_service.Outcome, **answer) -> dict:
    """The answer's fields, with how many recovery codes are left after one was used."""
    if outcome.recovery_left is not None:
        answer["recovery_codes_left"] = outcome.recovery_left
    return {**answer, "expires_at": iso(outcome.started.row.expires_at)}


@bp.post("/auth/login")
@limiter.guarded(issues_device=True)
def login():
    """Password (+ code, `remember`) → a browser session in the cookie; the token is never in the body."""
    outcome, refused = _sign_in(_json_body({"password": PASSWORD, "code": CODE, "remember": REMEMBER}),
                                login_sessions.BROWSER)
    if outcome is None:
        return refused
    return signed_in.start_browser_session(jsonify(_signed_in(outcome)), outcome.started)


@bp.post("/auth/token")
@limiter.guarded
def token():
    """Password (+ code, optional label) → a bearer token for scripts; never sets a cookie."""
    outcome, refused = _sign_in(_json_body({"password": PASSWORD, "code": CODE, "label": LABEL}), login_sessions.API)
    if outcome is None:
        return refused
    return jsonify(_signed_in(outcome, token=signed_in.signer().sign(outcome.started.token)))


@bp.get("/auth/session", endpoint="session")
def session_status():
    current = signed_in.current_session()
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
    by_cookie = "Authorization" not in request.headers and signed_in.cookie_name() in request.cookies
    is_json = request.mimetype == "application/json"
    if by_cookie and not is_json:
        abort(415, "A cookie-authenticated POST must be Content-Type: application/json.")
    presented = signed_in.presented_token()
    if presented:
        login_service.logout(presented, client_ip(), request.user_agent.string)
    response = jsonify(message="Logged out successfully.")
    if is_json or "Authorization" in request.headers:
        signed_in.end_browser_session(response)
    return response


def _forward_answer(endpoint: str):
    """The proxy's question answered by the one decision (app/web/forward.py `answer`: the access
    rules decide, app/security/forward_auth.py writes the answer), counted and logged."""
    decided = forward.answer(endpoint, request.environ)
    forward.count(decided)
    return forward.response_for(decided.answer)


# Forward-auth checks answer GET and HEAD only: every other method is 405, OPTIONS too (Flask's
# automatic OPTIONS answered 200 to anyone, which a gateway passing the original method on would
# take for an allowed request). docs/forward-auth.md, "Methods".
@bp.get("/auth/verify", provide_automatic_options=False)
def verify():
    """nginx `auth_request`: 204 + Remote-User for a live session, else 401 (docs/forward-auth.md).

    The 401 carries `Location` (the absolute login URL with `rd`) and `X-Gatehouse-Login`
    (`/login?next=<original path>`, URL-encoded, because nginx cannot encode a query itself).
    """
    return _forward_answer(forward_auth.VERIFY)


@bp.get("/auth/forward-auth", provide_automatic_options=False)
def forward_auth_answer():
    """Traefik ForwardAuth / Caddy forward_auth: 200 + Remote-User; a page load is redirected to
    the login page (302, 303 after a non-GET); XHR and scripts get 401 JSON."""
    return _forward_answer(forward_auth.FORWARD_AUTH)


@bp.get("/openapi.json")
def openapi():
    return jsonify(document(signed_in.cookie_name()))
