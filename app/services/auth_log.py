"""The log lines operators and fail2ban read, written from the published outcomes (app/signals.py).

A failed secret check writes the same line whatever was checked (a password, a code, a passkey,
the setup code): "login failed from <address>", the line deploy/fail2ban/ matches
(docs/security.md, "Logs"). A sign-in and a sign-out write one line each.
"""

from __future__ import annotations

import logging

from app.signals import SecretCheck, SessionsEnded, SignedIn

log = logging.getLogger("gatehouse.auth")


def on_checked(_sender, check: SecretCheck) -> None:
    if check.ok:
        return
    extra = {"event": "login_failed", "client_ip": check.ip, "step": check.step}
    if check.kind is not None:
        extra["kind"] = check.kind
    log.warning("login failed from %s", check.ip, extra=extra)


def on_signed_in(_sender, signed_in: SignedIn) -> None:
    log.info("login succeeded from %s", signed_in.ip, extra={
        "event": "login_succeeded", "client_ip": signed_in.ip, "kind": signed_in.kind,
        "session_id": signed_in.session_id})


def on_sessions_ended(_sender, ended: SessionsEnded) -> None:
    if ended.how == SessionsEnded.SIGNED_OUT:
        log.info("logout from %s", ended.ip, extra={"event": "logout", "client_ip": ended.ip,
                                                     "session_id": ended.session_ids[0]})
