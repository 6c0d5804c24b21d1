"""The sign-in forms' Content-Security-Policy: `form-action` also allows the hosts a return
address may name (docs/forward-auth.md), so the browser may follow the form's redirect to a
guarded tool on another host. Every other header is added outside Flask (app/edge/headers.py).
Forms whose sign-in may end on another site (an OpenID app's redirect URI) add that site with
`add_form_action_sources`: Chromium applies `form-action` to every redirect after a form's POST.
"""

from __future__ import annotations

from typing import Callable, Iterable

from flask import Flask, Response, current_app, request

from app.edge import gates
from app.edge.headers import CSP
from app.web import forward

# Pages whose form may be redirected to a guarded tool on another host (`rd`):
# the password form, and the code step that finishes it when a second factor is on (SPEC §17).
RETURNING_FORMS = frozenset({"auth.login", "auth.login_code"})
SOURCES = "gatehouse.form_action_sources"


def add_form_action_sources(app: Flask, endpoints: Iterable[str], sources: Callable[[], tuple[str, ...]]) -> None:
    """Let the forms of `endpoints` lead (after redirects) to `sources()` too: CSP source
    expressions, asked per response (the OpenID Provider's registered apps, app/oidc/server.py).
    Called before `register`."""
    app.extensions.setdefault(SOURCES, []).append((frozenset(endpoints), sources))


def returning_form_csp(response: Response) -> Response:
    """The form's CSP: `CSP` plus the hosts a return address may name (this request's policy),
    plus what `add_form_action_sources` added for this endpoint."""
    extra: list[str] = []
    if request.endpoint in RETURNING_FORMS:
        extra += forward.return_policy().form_action_sources()
    for endpoints, sources in current_app.extensions.get(SOURCES, ()):
        if request.endpoint in endpoints:
            extra += sources()
    if extra:
        response.headers["Content-Security-Policy"] = CSP + " " + " ".join(dict.fromkeys(extra))
    return response


def register(app: Flask) -> None:
    app.after_request(returning_form_csp)
    endpoints = RETURNING_FORMS.union(*(e for e, _ in app.extensions.get(SOURCES, ())))
    gates.declare(app, "returning-form CSP", "after", returning_form_csp, endpoints=endpoints)
