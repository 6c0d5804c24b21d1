"""One-time tickets: a step that a browser may finish once, checked on the server.

A signed cookie proves where a value came from, not that it was not used before: the cookie a
browser held before finishing a step still carries the step afterwards. So the steps that grant
something carry a ticket, stored here as the SHA-256 of its value, and finishing the step
consumes it with one conditional DELETE (of two racing uses, one wins):

- `PENDING_SIGN_IN`: the code owed after a right password (app/auth/pending.py), for 5 minutes,
  tied to the password's epoch, so a step started with the old password dies with it;
- `PASSKEY_REGISTRATION`: a registration challenge (app/passkeys/challenges.py), for 2 minutes.

Rows exist only after a right password, for minutes; the background job purges expired ones.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from app.extensions import db
from app.models import OneTimeTicket, utcnow

PENDING_SIGN_IN, PASSKEY_REGISTRATION = "pending_sign_in", "passkey_registration"


def _hash(value: str | bytes) -> str:
    return hashlib.sha256(value.encode() if isinstance(value, str) else value).hexdigest()


def issue(purpose: str, seconds: float, epoch: str | None = None) -> str:
    """A new random ticket for `purpose`, good for `seconds` (and for `epoch` only, if given)."""
    value = secrets.token_urlsafe(32)
    issue_for(purpose, value, seconds, epoch)
    return value


def issue_for(purpose: str, value: str | bytes, seconds: float, epoch: str | None = None) -> None:
    """Store `value` (a challenge the caller made) as a ticket for `purpose`, good for `seconds`."""
    db.session.add(OneTimeTicket(ticket_hash=_hash(value), purpose=purpose, epoch=epoch,
                                 expires_at=utcnow() + timedelta(seconds=seconds)))
    db.session.commit()


def _usable(purpose: str, value: str | bytes, epoch: str | None):
    return (OneTimeTicket.ticket_hash == _hash(value), OneTimeTicket.purpose == purpose,
            OneTimeTicket.expires_at > utcnow(),
            OneTimeTicket.epoch.is_(None) if epoch is None else OneTimeTicket.epoch == epoch)


def live(purpose: str, value: str | bytes | None, epoch: str | None = None) -> bool:
    """Whether the ticket exists, unused, unexpired, and of this `epoch` (a look: nothing is spent)."""
    if not value:
        return False
    return db.session.scalar(select(OneTimeTicket.ticket_hash).where(*_usable(purpose, value, epoch))) is not None


def consume(purpose: str, value: str | bytes | None, epoch: str | None = None) -> bool:
    """Spend the ticket: True once, for the first use of a live ticket of this `epoch`; False after."""
    if not value:
        return False
    spent = db.session.execute(delete(OneTimeTicket).where(*_usable(purpose, value, epoch))).rowcount
    db.session.commit()
    return spent == 1


def purge(now: datetime) -> int:
    """Background task: drop expired tickets."""
    gone = db.session.execute(delete(OneTimeTicket).where(OneTimeTicket.expires_at <= now)).rowcount
    db.session.commit()
    return gone
