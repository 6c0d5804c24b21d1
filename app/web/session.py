"""Who is asking: the presented session (cookie or bearer), the login guard, the setup gate.

Looked up lazily and once per request (`flask.g`), so pages that need no session pay nothing.
"""

from __future__ import annotations

import logging
from functools import wraps

from flask import Flask, Response, abort, current_app, g, redirect, request, url_for

from app.cache import CachedSession
from app.security import client_ip as client_ip_rules
from app.security.tokens import TokenSigner
from app.services import login_sessions, master_password

log = logging.getLogger("gatehouse.access")

_UNKNOWN = object()  # not looked up yet in this request (None means: looked up, no session)

# Endpoints reachable before the master password is set.
SETUP_OPEN = {"setup.setup", "health.healthz", "health.readyz", "static"}


class _State:
    def __init__(self, signer: TokenSigner, cookie_name: str) -> None:
        self.signer = signer
        self.cookie_name = cookie_name  # fixed at start: read on every request
        self.setup_done = False  # once true it stays true: a password is never unset
        self.warned_forwarded = False  # X-Forwarded-For from an untrusted peer: warn once


def init_app(app: Flask) -> None:
    previous = [app.config["GATEHOUSE_SECRET_KEY_PREVIOUS"]] if app.config["GATEHOUSE_SECRET_KEY_PREVIOUS"] else []
    name = "__Host-gatehouse_session" if app.config["GATEHOUSE_COOKIE_SECURE"] else "gatehouse_session"
    app.extensions["gatehouse.access"] = _State(TokenSigner(app.config["GATEHOUSE_SECRET_KEY"], previous), name)
    app.before_request(_require_setup)
    app.before_request(_notice_forwarded)


def _state() -> _State:
    return current_app.extensions["gatehouse.access"]


def signer() -> TokenSigner:
    return _state().signer


def setup_done() -> bool:
    state = _state()
    if not state.setup_done:
        state.setup_done = master_password.is_set()
    return state.setup_done


def _require_setup():
    if request.endpoint in SETUP_OPEN or request.endpoint is None or setup_done():
        return None
    if request.path.startswith("/api/"):
        abort(503, "Setup is not done: set the master password first.")
    return redirect(url_for("setup.setup"), 303)


def cookie_name() -> str:
    return _state().cookie_name


def presented_token() -> str | None:
    """The raw token from `Authorization: Bearer` if that header is sent, else from the cookie.

    An Authorization header that is not a valid bearer token never falls back to the cookie.
    """
    state = _state()  # once: every proxy lookup costs on the hot path
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        return state.signer.unsign(value.strip()) if scheme.lower() == "bearer" else None
    return state.signer.unsign(request.cookies.get(state.cookie_name))


def current_session() -> CachedSession | None:
    found = g.get("login_session", _UNKNOWN)
    if found is _UNKNOWN:
        token = presented_token()
        found = g.login_session = login_sessions.validate(token) if token else None
    return found


def login_required(view):
    """Send anonymous visitors to the login form, remembering where they were going."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if current_session() is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")), 303)
        return view(*args, **kwargs)

    return guarded


def _notice_forwarded() -> None:
    """Resolve early when X-Forwarded-For arrives, so a misconfigured proxy is reported at once."""
    if not _state().warned_forwarded and "X-Forwarded-For" in request.headers:
        client_ip()


def client_ip() -> str | None:
    """The client's address per SECURITY.md §4 (GATEHOUSE_TRUSTED_PROXIES), once per request."""
    if "client_ip" not in g:
        resolved = client_ip_rules.resolve(
            request.remote_addr, request.headers.getlist("X-Forwarded-For"), current_app.config["GATEHOUSE_TRUSTED_PROXIES"]
        )
        if resolved.ignored_forwarded and not _state().warned_forwarded:
            _state().warned_forwarded = True
            log.warning(
                "ignoring X-Forwarded-For from %s: not in GATEHOUSE_TRUSTED_PROXIES (warned once)", resolved.ip,
                extra={"event": "untrusted_forwarded_for", "client_ip": resolved.ip},
            )
        g.client_ip = resolved.ip
    return g.client_ip


def set_session_cookie(response: Response, token: str, max_age: int) -> None:
    response.set_cookie(
        cookie_name(),
        signer().sign(token),
        max_age=max_age,
        secure=current_app.config["GATEHOUSE_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(
        cookie_name(), path="/", secure=current_app.config["GATEHOUSE_COOKIE_SECURE"], httponly=True, samesite="Lax"
    )
