"""The `Host` check (docs/security.md, "Trusted hosts"): Flask's own, run first and on a bare environ.

Flask checks `Host` against TRUSTED_HOSTS while it matches the URL (werkzeug's `get_host`), and
raises the error only when the view is dispatched, after every `before_request` hook ran. As the
first request gate (app/edge/gates.py) the same function refuses a forged host before anything
else looks at the request, on the Flask path and on every shortcut alike.
"""

from __future__ import annotations

from flask import current_app
from werkzeug.exceptions import SecurityError
from werkzeug.wsgi import get_host


def check(environ: dict, _endpoint: str | None):
    """None for a host that may be served; else the refusal (Flask's SecurityError, a 400)."""
    trusted = current_app._get_current_object().config["TRUSTED_HOSTS"]  # one proxy hop: docs/performance.md
    if trusted is None:
        return None
    try:
        get_host(environ, trusted)
    except SecurityError as error:
        return _raiser(error)
    return None


def _raiser(error: Exception):
    def refuse():
        raise error

    return refuse
