"""Security headers on every response (docs/security.md, "Headers and limits").

The header list is built once at start (it depends only on settings) and added by a thin
WSGI wrapper around the app, after Flask has built the response: per request that is one
list filter and one concatenation, where an `after_request` hook setting five headers on
werkzeug's `Headers` cost about as much as the whole auth check (docs/performance.md).
The wrapper sees every response Flask sends, error pages included; a header of the same
name set by a view is replaced, as before.
"""

from __future__ import annotations

from flask import Flask

CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"


def security_headers(secure: bool, static: bool) -> list[tuple[str, str]]:
    """The headers for one kind of response: `static` files keep Flask's own caching."""
    headers = [
        ("Content-Security-Policy", CSP),
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

    def __call__(self, environ, start_response):
        static = environ.get("PATH_INFO", "").startswith(self.static_prefix)
        added, names = (self.static if static else self.dynamic), self.names

        def start(status, headers, exc_info=None):
            kept = [h for h in headers if h[0].lower() not in names]
            if static:  # keep the static file's own Cache-Control
                kept += [h for h in headers if h[0].lower() == "cache-control"]
            return start_response(status, kept + added, exc_info)

        return self.wsgi_app(environ, start)


def register(app: Flask) -> None:
    app.wsgi_app = SecurityHeaders(app.wsgi_app, app.config["GATEHOUSE_COOKIE_SECURE"], app.static_url_path or "/static")
