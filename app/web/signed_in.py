"""The session this request presents (cookie or bearer), the login guard, and starting or
ending a browser session on a response.

Looked up lazily and once per request (kept in the WSGI environ, which Flask's request and a
shortcut before Flask's dispatch share: app/edge/forward_auth.py reads it through the same
`session_of`), so pages that need no session pay nothing. Validation itself is the
login-session service's; `create_app` passes it in.
"""

from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from flask import Flask, Response, current_app, g, redirect, request, url_for
from flask import session as flask_session

from app.cache import CachedSession
from app.models import utcnow
from app.security.tokens import TokenSigner
from app.web import cookies

_UNKNOWN = object()  # not looked up yet in this request (None means: looked up, no session)
_STATE = "gatehouse.session"
_FOUND = "gatehouse.session"  # the environ key of this request's looked-up session
_FORWARD_FOUND = "gatehouse.forward_session"  # the same for a forward-auth question (its own credential rules)

Validate = Callable[[str], "CachedSession | None"]


class SessionReader:
    """How this app reads a presented sign-in session: the token signer, the cookie's name, the validation."""

    def __init__(self, signer: TokenSigner, cookie_name: str, validate: Validate) -> None:
        self.signer = signer
        self.cookie_name = cookie_name  # fixed at start: read on every request
        self.validate = validate


def init_app(app: Flask, validate: Validate) -> None:
    previous = [app.config["GATEHOUSE_SECRET_KEY_PREVIOUS"]] if app.config["GATEHOUSE_SECRET_KEY_PREVIOUS"] else []
    app.extensions[_STATE] = SessionReader(
        TokenSigner(app.config["GATEHOUSE_SECRET_KEY"], previous),
        cookies.session_name(app.config["GATEHOUSE_COOKIE_SECURE"], app.config["GATEHOUSE_COOKIE_DOMAIN"]),
        validate,
    )


def _state() -> SessionReader:
    return current_app._get_current_object().extensions[_STATE]  # one proxy hop: docs/performance.md


def signer() -> TokenSigner:
    return _state().signer


def cookie_name() -> str:
    return _state().cookie_name


def _token(state: SessionReader, authorization: str | None, cookie: str | None) -> str | None:
    """The raw token from `Authorization: Bearer` if that header is sent, else from the cookie.

    On the portal's own pages and API an Authorization header can only be meant for Gatehouse
    (nothing else is served here): one that is not a valid bearer token is a refused credential
    (the API answers `invalid_token`, RFC 6750) and never falls back to the cookie. Forward-auth
    questions, which carry a tool's own headers, read credentials by `_forward_token`.
    """
    if authorization is not None:
        scheme, _, value = authorization.partition(" ")
        return state.signer.unsign(value.strip()) if scheme.lower() == "bearer" else None
    return state.signer.unsign(cookie)


def presented_token() -> str | None:
    """The raw token this request presents (rules: `_token`)."""
    state = _state()  # once: every proxy lookup costs on the hot path
    return _token(state, request.headers.get("Authorization"), request.cookies.get(state.cookie_name))


def current_session() -> CachedSession | None:
    """The live session this request presents, or None."""
    return session_of(request._get_current_object().environ)


def session_of(environ: dict) -> CachedSession | None:
    """The live session a request presents (cookie or bearer, rules: `_token`), looked up once per
    request: Flask's view and a shortcut before Flask's dispatch ask the same function."""
    found = environ.get(_FOUND, _UNKNOWN)
    if found is _UNKNOWN:
        state = _state()  # once: every proxy lookup costs on the hot path
        cookie = cookies.parsed(environ).get(state.cookie_name)
        token = _token(state, environ.get("HTTP_AUTHORIZATION"), cookie)
        found = environ[_FOUND] = state.validate(token) if token else None
    return found


def _forward_token(state: SessionReader, authorization: str | None, proxy_authorization: str | None,
                   cookie: str | None) -> tuple[str | None, bool]:
    """(raw token, whether a Gatehouse credential was presented) of a forward-auth question
    (SPEC §4b, docs/forward-auth.md "Whose credential"): the request is for a tool, and the
    tool's own `Authorization` (Basic, a Bearer API key) is the tool's business. So only a
    value Gatehouse signed counts: `Proxy-Authorization: Bearer <token>` first (for a script
    that needs both), then `Authorization: Bearer <token>`, then the session cookie; anything
    else in those headers is ignored, as if not sent. The first Gatehouse value found decides:
    a dead one is not made up for by the cookie."""
    for header in (proxy_authorization, authorization):
        if header is not None:
            scheme, _, value = header.partition(" ")
            token = state.signer.unsign(value.strip()) if scheme.lower() == "bearer" else None
            if token is not None:
                return token, True
    if cookie is None:
        return None, False
    return state.signer.unsign(cookie), True


def forward_session_of(environ: dict) -> tuple[CachedSession | None, bool]:
    """(the live session, whether a Gatehouse credential was presented) of a forward-auth
    question (rules: `_forward_token`), looked up once per request like `session_of`: the
    forward-auth views and the edge's shortcut ask this one; the portal's own pages and API
    ask `session_of`."""
    found = environ.get(_FORWARD_FOUND)
    if found is None:
        state = _state()
        cookie = cookies.parsed(environ).get(state.cookie_name)
        token, presented = _forward_token(state, environ.get("HTTP_AUTHORIZATION"),
                                          environ.get("HTTP_PROXY_AUTHORIZATION"), cookie)
        found = environ[_FORWARD_FOUND] = (state.validate(token) if token else None), presented
    return found


def login_required(view):
    """Send anonymous visitors to the login form, remembering where they were going."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if current_session() is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")), 303)
        return view(*args, **kwargs)

    return guarded


def start_browser_session(response: Response, started: Any) -> Response:
    """Hand a new session (a `login_sessions.NewSession`: raw token and row) to this browser:
    the signed token in the session cookie, kept as long as the session lives."""
    remaining = max(0, int((started.row.expires_at - utcnow()).total_seconds()))
    cookies.set_session(response, signer().sign(started.token), remaining)
    # A new CSRF secret with the new session: a form token from before sign-in (one another
    # user of this browser, or a page the attacker saw, may know) is worthless after it.
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")  # Flask-WTF's key in both
    flask_session.pop(field, None)
    g.pop(field, None)
    return response


def end_browser_session(response: Response) -> Response:
    cookies.clear_session(response)
    return response
