"""Forward auth on a request (docs/forward-auth.md): the settings, read once per app, the
return-address policy of this request, and `answer`, the one decision both forward-auth
endpoints and the edge's shortcut (app/edge/forward_auth.py) take, on the WSGI environ they
share. The decision itself, without Flask, is app/security/forward_auth.py.
"""

from __future__ import annotations

from flask import Response, current_app, jsonify, request
from werkzeug.datastructures import EnvironHeaders
from werkzeug.http import parse_cookie

from app.security import forward_auth
from app.security.forward_auth import Answer, Settings
from app.security.redirects import ReturnPolicy
from app.web import signed_in

_KEY = "gatehouse.forward_auth"


def settings() -> Settings:
    app = current_app._get_current_object()  # one proxy hop: docs/performance.md
    found = app.extensions.get(_KEY)
    if found is None:
        found = app.extensions[_KEY] = Settings.from_config(app.config)
    return found


def return_policy() -> ReturnPolicy:
    """Where a sign-in may return to: the cookie domain, else the portal's (or this request's) host."""
    host = request._get_current_object().host
    host = host.rsplit(":", 1)[0].lower() if host else None
    return settings().policy(host)


def answer(endpoint: str, environ: dict) -> Answer:
    """The proxy's question about this request, answered (`endpoint`: VERIFY or FORWARD_AUTH)."""
    valid = signed_in.session_of(environ) is not None
    sent = valid or "HTTP_AUTHORIZATION" in environ or (
        signed_in.cookie_name() in parse_cookie(environ.get("HTTP_COOKIE")))
    return forward_auth.decide(endpoint, valid, EnvironHeaders(environ), settings(),
                               scheme=environ.get("wsgi.url_scheme", "http"), credential_sent=sent)


def response_for(decided: Answer) -> Response:
    """The answer as a response (an app context is enough: the edge builds one once and reuses it)."""
    if decided.body is not None:
        response = jsonify(decided.body)
    else:
        response = current_app.response_class(status=decided.status)
        response.headers.pop("Content-Type", None)
    response.status_code = decided.status
    response.headers.update(decided.headers)
    return response
