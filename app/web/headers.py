"""Security headers on every response (docs/security.md, "Headers and limits")."""

from __future__ import annotations

from flask import Flask, Response, current_app, request

from app.web import forward

CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
# Pages whose form may be redirected to a guarded tool on another host (`rd`): their
# form-action lists exactly the hosts a return address may name (docs/forward-auth.md).
RETURNING_FORMS = {"auth.login"}


def csp() -> str:
    if request.endpoint in RETURNING_FORMS:
        sources = forward.return_policy().form_action_sources()
        if sources:
            return CSP + " " + " ".join(sources)
    return CSP


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = csp()
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    if current_app.config["GATEHOUSE_COOKIE_SECURE"]:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    # Every dynamic response is about someone's authentication state: never store it.
    if request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
    return response


def register(app: Flask) -> None:
    app.after_request(add_security_headers)
