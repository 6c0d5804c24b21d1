"""The sign-in forms' Content-Security-Policy: `form-action` also allows the hosts a return
address may name (docs/forward-auth.md), so the browser may follow the form's redirect to a
guarded tool on another host. Every other header is added outside Flask (app/edge/headers.py).
"""

from __future__ import annotations

from flask import Flask, Response, request

from app.edge import gates
from app.edge.headers import CSP
from app.web import forward

# Pages whose form may be redirected to a guarded tool on another host (`rd`): the password
# form, and the code step that finishes it when a second factor is on (SPEC §17).
RETURNING_FORMS = frozenset({"auth.login", "auth.login_code"})


def returning_form_csp(response: Response) -> Response:
    """The form's CSP: `CSP` plus the hosts a return address may name (this request's policy)."""
    if request.endpoint in RETURNING_FORMS:
        sources = forward.return_policy().form_action_sources()
        if sources:
            response.headers["Content-Security-Policy"] = CSP + " " + " ".join(sources)
    return response


def register(app: Flask) -> None:
    app.after_request(returning_form_csp)
    gates.declare(app, "returning-form CSP", "after", returning_form_csp, endpoints=RETURNING_FORMS)
