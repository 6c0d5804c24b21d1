"""What the sessions page shows and does: list the live sessions, revoke one or all others.

Kept apart from `sessions` (tokens and validation) because these work by session id,
the handle a person sees on the page or the CLI prints, never by token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from app.extensions import db, session_cache
from app.models import LoginSession, utcnow
from app.services.sessions import BROWSER
from app.services.user_agents import short_name


@dataclass(frozen=True)
class SessionInfo:
    id: int
    kind: str
    label: str | None
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ip: str | None
    browser: str


def active(now: datetime | None = None) -> list[SessionInfo]:
    """Every session that would still be accepted, newest first."""
    now = now or utcnow()
    idle_cutoff = now - timedelta(minutes=current_app.config["GATEHOUSE_SESSION_IDLE_MINUTES"])
    rows = db.session.scalars(
        select(LoginSession)
        .where(LoginSession.revoked_at.is_(None), LoginSession.expires_at > now)
        .order_by(LoginSession.created_at.desc(), LoginSession.id.desc())
    )
    return [
        SessionInfo(row.id, row.kind, row.label, row.created_at, row.last_seen_at, row.expires_at, row.ip,
                    short_name(row.user_agent))
        for row in rows
        if row.kind != BROWSER or row.last_seen_at > idle_cutoff
    ]


def revoke(session_id: int) -> bool:
    """End one session in the database and the cache; False if it was not live."""
    return _revoke(LoginSession.id == session_id) > 0


def revoke_others(keep_id: int) -> int:
    """End every live session except `keep_id`; returns how many ended."""
    return _revoke(LoginSession.id != keep_id)


def _revoke(condition) -> int:
    hashes = db.session.scalars(
        update(LoginSession)
        .where(condition, LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .returning(LoginSession.token_hash)
    ).all()
    db.session.commit()
    # After the commit, so a concurrent validation cannot re-cache a row we just revoked.
    for key in hashes:
        session_cache.backend.invalidate(key)
    return len(hashes)
