"""Request-side helpers of forward auth (docs/forward-auth.md): the settings, read once per app,
and the return-address policy of this request. The decision itself is app/security/forward_auth.py."""

from __future__ import annotations

from flask import current_app, request

from app.security.forward_auth import Settings
from app.security.redirects import ReturnPolicy

_KEY = "gatehouse.forward_auth"


def settings() -> Settings:
    found = current_app.extensions.get(_KEY)
    if found is None:
        found = current_app.extensions[_KEY] = Settings.from_config(current_app.config)
    return found


def return_policy() -> ReturnPolicy:
    """Where a sign-in may return to: the cookie domain, else the portal's (or this request's) host."""
    host = request.host.rsplit(":", 1)[0].lower() if request.host else None
    return settings().policy(host)
