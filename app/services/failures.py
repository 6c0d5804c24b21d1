"""A failed secret check, recorded the one way: the log line fail2ban reads (the same message
for a password, a code or a passkey, docs/security.md "Logs") and the sign-in activity."""

from __future__ import annotations

import logging

from app.services import activity

log = logging.getLogger("gatehouse.auth")


def record(ip: str | None, step: str, *, user_agent: str | None = None, kind: str | None = None,
           detail: str | None = None) -> None:
    """`step`: "password" (a wrong password), "client secret" (an app's, at the OpenID token
    endpoint) or what else was wrong ("code", "passkey", …)."""
    extra = {"event": "login_failed", "client_ip": ip, "step": step}
    if kind is not None:
        extra["kind"] = kind
    log.warning("login failed from %s", ip, extra=extra)
    event = {"password": activity.FAILED_PASSWORD, "client secret": activity.FAILED_APP_SECRET}.get(step, activity.FAILED_CODE)
    activity.record(event, ip, user_agent, detail=detail)
