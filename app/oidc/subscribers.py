"""What the OpenID Provider does when something happens elsewhere (app/signals.py), and its purge.

- `sessions_ended`: the tokens those sessions granted are marked revoked. (They are refused at
  their next use anyway: every use checks the granting session is live, app/oidc/tokens.py.)
- `account_changed` for the second factor (codes turned on or off, recovery codes replaced, a
  passkey added or removed): every app token is revoked, as the sessions that granted them
  signed in under the old rules. Apps whose session is still live sign in again silently.
Connected in `app/factory.py`'s `register_subscribers`.
"""

from __future__ import annotations

import logging
from datetime import datetime

from app import signals
from app.oidc import codes, tokens

log = logging.getLogger("gatehouse.oidc")


def on_sessions_ended(_sender, ended: signals.SessionsEnded) -> None:
    try:
        tokens.revoke_sessions(ended.session_ids)
    except Exception:  # the sessions ended; their tokens die with them at next use regardless
        log.exception("could not mark app tokens revoked", extra={"event": "oidc_revoke_error"})


def on_account_changed(_sender, change: signals.AccountChange) -> None:
    if change.what != signals.AccountChange.SECOND_FACTOR:
        return
    try:
        count = tokens.revoke_all()
    except Exception:
        log.exception("could not revoke app tokens", extra={"event": "oidc_revoke_error"})
        return
    if count:
        log.info("second factor changed: %d app tokens revoked", count, extra={"event": "oidc_tokens_revoked"})


def purge(now: datetime) -> int:
    """Background task: spent or stale codes and tokens nobody can use again."""
    return codes.purge(now) + tokens.purge(now)
