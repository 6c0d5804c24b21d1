"""Every cookie Gatehouse sets, its name and attributes, in one place.

With GATEHOUSE_COOKIE_SECURE (the default) each name takes the `__Host-` prefix, which
browsers only accept with Secure, Path=/ and no Domain: the cookie cannot be set or read by
a sibling host. Plain names only for plain-HTTP loopback (`make run`).

- session `__Host-gatehouse_session`: the signed session token. HttpOnly, SameSite=Lax (a
  top-level link from another site still arrives signed in), Max-Age = the session's
  remaining lifetime. With GATEHOUSE_COOKIE_DOMAIN (forward auth for tools on subdomains,
  docs/forward-auth.md) it gets `Domain=<domain>` and, as `__Host-` forbids a Domain, the
  `__Secure-` prefix: `__Secure-gatehouse_session`. The other two stay host-only.
- device `__Host-gatehouse_device`: names a browser that signed in before
  (docs/security.md, "Device cookies"). HttpOnly, SameSite=Strict (only the same-site
  sign-in POST needs it), 180 days.
- csrf `__Host-gatehouse_csrf`: Flask's signed cookie session, which holds the CSRF secret
  and flash messages; its attributes are set through Flask's SESSION_COOKIE_* config.
"""

from __future__ import annotations

from flask import Response, current_app
from werkzeug.sansio.http import parse_cookie

from app.bounded_cache import BoundedCache
from app.web.parameters import Parameters

DEVICE_MAX_AGE = 180 * 24 * 3600
_PARSED = "gatehouse.cookies"  # the environ key of this request's parsed cookies
# `Cookie` headers parsed lately: a browser (or a proxy asking for it) sends the same header on
# every request until a cookie changes. The parse is immutable, so requests may share it. At
# most this many, least recently used out first (a header is at most gunicorn's 8 KiB).
_PARSES = BoundedCache(256)


def _name(base: str, secure: bool) -> str:
    return f"__Host-{base}" if secure else base


def session_name(secure: bool, domain: str = "") -> str:
    if secure and domain:
        return "__Secure-gatehouse_session"
    return _name("gatehouse_session", secure)


def device_name(secure: bool) -> str:
    return _name("gatehouse_device", secure)


def csrf_name(secure: bool) -> str:
    return _name("gatehouse_csrf", secure)


def _secure() -> bool:
    return current_app.config["GATEHOUSE_COOKIE_SECURE"]


def _domain() -> str:
    return current_app.config["GATEHOUSE_COOKIE_DOMAIN"]


def set_session(response: Response, value: str, max_age: int) -> None:
    secure, domain = _secure(), _domain()
    response.set_cookie(session_name(secure, domain), value, max_age=max_age, secure=secure, httponly=True,
                        samesite="Lax", path="/", domain=domain or None)


def clear_session(response: Response) -> None:
    secure, domain = _secure(), _domain()
    response.delete_cookie(session_name(secure, domain), path="/", secure=secure, httponly=True, samesite="Lax",
                           domain=domain or None)


def set_device(response: Response, value: str) -> None:
    secure = _secure()
    response.set_cookie(device_name(secure), value, max_age=DEVICE_MAX_AGE, secure=secure, httponly=True,
                        samesite="Strict", path="/")


def parsed(environ: dict) -> Parameters:
    """The request's cookies, parsed once per request (kept in the environ) exactly as werkzeug's
    `Request.cookies` parses them: the `Cookie` header, without werkzeug's walk over every
    environ entry to find it (app/web/application.py)."""
    found = environ.get(_PARSED)
    if found is None:
        header = environ.get("HTTP_COOKIE") or ""
        found = _PARSES.get(header)
        if found is None:
            found = parse_cookie(header, cls=Parameters)
            _PARSES.put(header, found)
        environ[_PARSED] = found
    return found
