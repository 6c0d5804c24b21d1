"""Security headers on every response (docs/security.md, "Headers and limits").

The header list is built once at start (it depends only on settings) and added by a thin
WSGI wrapper around the app, after Flask has built the response: per request that is one
list filter and one concatenation, where an `after_request` hook setting five headers on
werkzeug's `Headers` cost about as much as the whole auth check (docs/performance.md).
The wrapper sees every response the app sends, error pages and the forward-auth fast path
included. A header of the same name set by a view is replaced, except the
Content-Security-Policy: the login form sets its own (below), every other response gets `CSP`.
Forms whose sign-in may end on another site (an OpenID app's redirect URI) add that site with
`add_form_action_sources`: Chromium applies `form-action` to every redirect after a form's POST.
"""

from __future__ import annotations

from typing import Callable, Iterable

from flask import Flask, Response, current_app, request

from app.web import forward

CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
# Pages whose form may be redirected to a guarded tool on another host (`rd`): their
# form-action lists exactly the hosts a return address may name (docs/forward-auth.md).
RETURNING_FORMS = {"auth.login"}
EXTENSION = "gatehouse.headers"
SOURCES = "gatehouse.form_action_sources"


def add_form_action_sources(app: Flask, endpoints: Iterable[str], sources: Callable[[], tuple[str, ...]]) -> None:
    """Let the forms of `endpoints` lead (after redirects) to `sources()` too: CSP source
    expressions, asked per response (the OpenID Provider's registered apps, app/oidc/server.py)."""
    app.extensions.setdefault(SOURCES, []).append((frozenset(endpoints), sources))


def returning_form_csp(response: Response) -> Response:
    """The login form's CSP: `CSP` plus the hosts a return address may name (this request's policy),
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


def security_headers(secure: bool, static: bool) -> list[tuple[str, str]]:
    """The headers for one kind of response, CSP aside: `static` files keep Flask's own caching."""
    headers = [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
    ]
    if secure:
        headers.append(("Strict-Transport-Security", "max-age=31536000"))
    if not static:
        # Every dynamic response is about someone's authentication state: never store it.
        headers.append(("Cache-Control", "no-store"))
    return headers


class SecurityHeaders:
    """WSGI middleware: adds the precomputed headers to each response's start_response."""

    def __init__(self, wsgi_app, secure: bool, static_prefix: str) -> None:
        self.wsgi_app = wsgi_app
        self.static_prefix = static_prefix.rstrip("/") + "/"
        self.dynamic = security_headers(secure, static=False)
        self.static = security_headers(secure, static=True)
        self.names = frozenset(name.lower() for name, _ in self.dynamic)

    def apply(self, headers: list[tuple[str, str]], static: bool = False) -> list[tuple[str, str]]:
        """A response's headers as sent: ours added, a view's own of the same name replaced."""
        added, names = (self.static if static else self.dynamic), self.names
        kept = [h for h in headers if h[0].lower() not in names]
        if static:  # keep the static file's own Cache-Control
            kept += [h for h in headers if h[0].lower() == "cache-control"]
        if not any(h[0].lower() == "content-security-policy" for h in kept):
            kept.append(("Content-Security-Policy", CSP))
        return kept + added

    def __call__(self, environ, start_response):
        static = environ.get("PATH_INFO", "").startswith(self.static_prefix)

        def start(status, headers, exc_info=None):
            return start_response(status, self.apply(headers, static), exc_info)

        return self.wsgi_app(environ, start)


def register(app: Flask) -> None:
    app.after_request(returning_form_csp)
    app.wsgi_app = app.extensions[EXTENSION] = SecurityHeaders(
        app.wsgi_app, app.config["GATEHOUSE_COOKIE_SECURE"], app.static_url_path or "/static")


def of(app: Flask) -> SecurityHeaders:
    """The app's header wrapper, for answers written without it (app/ratelimit/shedding.py)."""
    return app.extensions[EXTENSION]
