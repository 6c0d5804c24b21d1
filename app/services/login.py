"""Password sign-in and sign-out, with the log lines operators and fail2ban read."""

from __future__ import annotations

import logging

from app.extensions import limiter
from app.services import login_sessions, master_password

log = logging.getLogger("gatehouse.auth")


def attempt(password: str, ip: str | None, user_agent: str | None, kind: str, label: str | None = None):
    """A new session if `password` is the master password, else None (and a failure log line).

    The check is reported to the login limiter (it runs in one of the bounded check slots).
    """
    if not limiter.run_check(lambda: bool(password) and master_password.check(password)):
        log.warning("login failed from %s", ip, extra={"event": "login_failed", "client_ip": ip, "kind": kind})
        return None
    started = login_sessions.create(kind, ip, user_agent, label)
    log.info(
        "login succeeded from %s", ip,
        extra={"event": "login_succeeded", "client_ip": ip, "kind": kind, "session_id": started.session.id},
    )
    return started


def logout(token: str, ip: str | None) -> None:
    session_id = login_sessions.revoke_token(token)
    log.info("logout from %s", ip, extra={"event": "logout", "client_ip": ip, "session_id": session_id})
