"""What the OpenID Provider does when something happens elsewhere (app/signals.py), and its purge.

- `sessions_ended`: the tokens those sessions granted are marked revoked. (They are refused at
  their next use anyway: every use checks the granting session is live, app/oidc/tokens.py.)
- `account_changed` for the second factor (codes turned on or off): every app token is revoked,
  as the sessions that granted them signed in under the old rules (SPEC §16).
"""

from __future__ import annotations

import logging
from datetime import datetime

from app import signals
from app.oidc import codes, tokens

log = logging.getLogger("gatehouse.oidc")


def on_sessions_ended(sender, ended: signals.SessionsEnded, **_) -> None:
    try:
        tokens.revoke_sessions(ended.session_ids)
    except Exception:  # the sessions ended; their tokens die with them at next use regardless
        log.exception("could not mark app tokens revoked", extra={"event": "oidc_revoke_error"})


def on_account_changed(sender, change: signals.AccountChange, **_) -> None:
    if change.what != "second factor":
        return
    try:
        count = tokens.revoke_all()
    except Exception:
        log.exception("could not revoke app tokens", extra={"event": "oidc_revoke_error"})
        return
    if count:
        log.info("second factor changed: %d app tokens revoked", count, extra={"event": "oidc_tokens_revoked"})


def connect() -> None:
    signals.sessions_ended.connect(on_sessions_ended)
    signals.account_changed.connect(on_account_changed)


def purge(now: datetime) -> int:
    """Background task: spent or stale codes and tokens nobody can use again."""
    return codes.purge(now) + tokens.purge(now)
