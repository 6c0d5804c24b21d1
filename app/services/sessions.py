"""Login sessions: create, validate (through the cache), touch, revoke."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from app.cache import CachedSession
from app.extensions import db, session_cache
from app.models import LoginSession, utcnow
from app.security.tokens import hash_token, new_token

BROWSER = "browser"
API = "api"
# last_seen_at is written at most this often per session, not on every request.
TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True)
class NewSession:
    token: str
    session: LoginSession


def _minutes(name: str) -> timedelta:
    return timedelta(minutes=current_app.config[name])


def create(kind: str, ip: str | None, user_agent: str | None, label: str | None = None) -> NewSession:
    """Start a session with a fresh random token (never reuses one: no fixation)."""
    token = new_token()
    now = utcnow()
    row = LoginSession(
        token_hash=hash_token(token),
        kind=kind,
        label=label,
        created_at=now,
        last_seen_at=now,
        expires_at=now + _minutes("GATEHOUSE_SESSION_LIFETIME_MINUTES"),
        ip=ip,
        user_agent=_clean_user_agent(user_agent),
    )
    db.session.add(row)
    db.session.commit()
    return NewSession(token, row)


def _clean_user_agent(value: str | None) -> str | None:
    if not value:
        return None
    return "".join(ch for ch in value if ch.isprintable())[:256]


def validate(token: str, now: datetime | None = None) -> CachedSession | None:
    """The live session for `token`, or None if unknown, expired, idle too long or revoked."""
    now = now or utcnow()
    key = hash_token(token)
    cache = session_cache.backend
    idle = _minutes("GATEHOUSE_SESSION_IDLE_MINUTES")
    cached = cache.get(key)
    if cached is None:
        row = db.session.scalar(
            select(LoginSession).where(LoginSession.token_hash == key, LoginSession.revoked_at.is_(None))
        )
        if row is None:
            return None
        cached = CachedSession(row.id, row.kind, row.expires_at, row.last_seen_at)
        if _alive(cached, now, idle):
            _remember(key, cached, now)
    if not _alive(cached, now, idle):
        cache.invalidate(key)
        return None
    if cached.kind == BROWSER and now - cached.last_seen_at >= TOUCH_INTERVAL:
        cached = _touch(key, cached, now)
    return cached


def _alive(entry: CachedSession, now: datetime, idle: timedelta) -> bool:
    if now >= entry.expires_at:
        return False
    if entry.kind == BROWSER and now - entry.last_seen_at >= idle:
        return False
    return True


def _remember(key: str, entry: CachedSession, now: datetime) -> None:
    ttl = min(session_cache.ttl, (entry.expires_at - now).total_seconds())
    session_cache.backend.set(key, entry, ttl)


def _touch(key: str, entry: CachedSession, now: datetime) -> CachedSession | None:
    result = db.session.execute(
        update(LoginSession)
        .where(LoginSession.id == entry.id, LoginSession.revoked_at.is_(None))
        .values(last_seen_at=now)
    )
    db.session.commit()
    if result.rowcount == 0:  # revoked (or purged) by another request or process meanwhile
        session_cache.backend.invalidate(key)
        return None
    touched = CachedSession(entry.id, entry.kind, entry.expires_at, now)
    _remember(key, touched, now)
    return touched


def revoke_token(token: str) -> int | None:
    """End the session `token` belongs to, in the database and the cache; unknown is fine.

    Returns the id of the session it ended (for the log), or None.
    """
    key = hash_token(token)
    session_id = db.session.scalar(
        select(LoginSession.id).where(LoginSession.token_hash == key, LoginSession.revoked_at.is_(None))
    )
    if session_id is not None:
        db.session.execute(
            update(LoginSession).where(LoginSession.id == session_id, LoginSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        db.session.commit()
    session_cache.backend.invalidate(key)
    return session_id


def revoke_all(commit: bool = True, keep_id: int | None = None) -> int:
    """End every session (but `keep_id`). With commit=False the caller commits, then clears the cache."""
    query = update(LoginSession).where(LoginSession.revoked_at.is_(None))
    if keep_id is not None:
        query = query.where(LoginSession.id != keep_id)
    result = db.session.execute(query.values(revoked_at=utcnow()))
    if commit:
        db.session.commit()
        session_cache.backend.clear()
    return result.rowcount


def remaining_seconds(entry: CachedSession, now: datetime | None = None) -> int:
    return max(0, int((entry.expires_at - (now or utcnow())).total_seconds()))

