"""Security headers on every response (docs/security.md, "Headers and limits").

The header list is built once at start (it depends only on settings) and added by a thin
WSGI wrapper around everything else (the outermost layer of app/edge/stack.py), after the
response is built: per request that is one list filter and one concatenation, where an
`after_request` hook setting five headers on werkzeug's `Headers` cost about as much as the
whole auth check (docs/performance.md). The wrapper sees every response the app sends, error
pages and the shortcuts' answers included; the worker's early answers are made with `apply`.
A header of the same name set by a view is replaced, except the Content-Security-Policy: the
sign-in forms set their own (app/web/headers.py), every other response gets `CSP`.
"""

from __future__ import annotations

CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"


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
        """A response's headers as sent: ours added, a view's own of the same name replaced (one
        pass over them)."""
        names, kept, caching, csp = self.names, [], [], False
        for header in headers:
            name = header[0].lower()
            if name not in names:
                kept.append(header)
                csp = csp or name == "content-security-policy"
            elif static and name == "cache-control":  # keep the static file's own Cache-Control
                caching.append(header)
        if not csp:
            caching.append(("Content-Security-Policy", CSP))
        return kept + caching + (self.static if static else self.dynamic)

    def __call__(self, environ, start_response):
        static = environ.get("PATH_INFO", "").startswith(self.static_prefix)

        def start(status, headers, exc_info=None):
            return start_response(status, self.apply(headers, static), exc_info)

        return self.wsgi_app(environ, start)
