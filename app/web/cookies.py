"""Every cookie Gatehouse sets, its name and attributes, in one place.

With GATEHOUSE_COOKIE_SECURE (the default) each name takes the `__Host-` prefix, which
browsers only accept with Secure, Path=/ and no Domain: the cookie cannot be set or read by
a sibling host. Plain names only for plain-HTTP loopback (`make run`).

- session `__Host-gatehouse_session`: the signed session token. HttpOnly, SameSite=Lax (a
  top-level link from another site still arrives signed in), Max-Age = the session's
  remaining lifetime.
- device `__Host-gatehouse_device`: names a browser that signed in before
  (docs/security.md, "Device cookies"). HttpOnly, SameSite=Strict (only the same-site
  sign-in POST needs it), 180 days.
- csrf `__Host-gatehouse_csrf`: Flask's signed cookie session, which holds the CSRF secret
  and flash messages; its attributes are set through Flask's SESSION_COOKIE_* config.
"""

from __future__ import annotations

from flask import Response, current_app

DEVICE_MAX_AGE = 180 * 24 * 3600


def _name(base: str, secure: bool) -> str:
    return f"__Host-{base}" if secure else base


def session_name(secure: bool) -> str:
    return _name("gatehouse_session", secure)


def device_name(secure: bool) -> str:
    return _name("gatehouse_device", secure)


def csrf_name(secure: bool) -> str:
    return _name("gatehouse_csrf", secure)


def _secure() -> bool:
    return current_app.config["GATEHOUSE_COOKIE_SECURE"]


def set_session(response: Response, value: str, max_age: int) -> None:
    secure = _secure()
    response.set_cookie(session_name(secure), value, max_age=max_age, secure=secure, httponly=True,
                        samesite="Lax", path="/")


def clear_session(response: Response) -> None:
    secure = _secure()
    response.delete_cookie(session_name(secure), path="/", secure=secure, httponly=True, samesite="Lax")


def set_device(response: Response, value: str) -> None:
    secure = _secure()
    response.set_cookie(device_name(secure), value, max_age=DEVICE_MAX_AGE, secure=secure, httponly=True,
                        samesite="Strict", path="/")
