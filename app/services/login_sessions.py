"""Login sessions, the one lifecycle: create, validate (through the cache), touch, sign in
again (reauthenticate), list, revoke (one path for one, all others, or all), purge.

A session is alive while it is not revoked, not past its absolute end and, for a browser,
used within the idle limit. That rule is written once for Python (`_alive`, on a cached
entry) and once for SQL (`_live`, for listing and purging) side by side below.

"Keep me signed in" (SPEC §17, docs/security.md "Sessions") is a browser session with the
`remember` flag: it lasts GATEHOUSE_REMEMBER_DAYS instead of the session lifetime, and its idle
limit is GATEHOUSE_REMEMBER_IDLE_DAYS instead of GATEHOUSE_SESSION_IDLE_MINUTES. Everything
else (validation, revocation, purging) treats it like any other session.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, func, not_, or_, select, update

from app import signals
from app.cache import CachedSession
from app.extensions import db, session_cache
from app.models import LoginSession, utcnow
from app.security.tokens import hash_token, new_token
from app.services.user_agents import short_name
from app.signals import SessionsEnded

BROWSER = "browser"
API = "api"
# How a session was signed in (LoginSession.methods): the password, then maybe a second factor.
# A passkey may also sign in alone (it is then both the thing held and the user's verification).
PASSWORD, CODE, RECOVERY_CODE, PASSKEY = "password", "code", "recovery_code", "passkey"
SECOND_FACTORS = frozenset({CODE, RECOVERY_CODE, PASSKEY})


def has_second_factor(methods: tuple[str, ...]) -> bool:
    """Whether a sign-in by `methods` went past the password (a `two_factor` access rule, OIDC's amr)."""
    return not SECOND_FACTORS.isdisjoint(methods)
# last_seen_at is written at most this often per session, not on every request: once a
# minute, or a twentieth of the idle limit when that is shorter, so the idle clock counts
# from the last use to within 5 % of the limit (1 minute idle: written every 3 s).
TOUCH_INTERVAL = timedelta(seconds=60)
TOUCH_FRACTION = 20


def touch_interval(idle: timedelta) -> timedelta:
    return min(TOUCH_INTERVAL, idle / TOUCH_FRACTION)


@dataclass(frozen=True)
class Limits:
    """How long a browser session may stay unused: an ordinary one, and a kept ("remember") one."""

    idle: timedelta
    remember_idle: timedelta

    def idle_of(self, remember: bool) -> timedelta:
        return self.remember_idle if remember else self.idle


def _limits() -> Limits:
    config = current_app.config
    return Limits(timedelta(minutes=config["GATEHOUSE_SESSION_IDLE_MINUTES"]),
                  timedelta(days=config["GATEHOUSE_REMEMBER_IDLE_DAYS"]))


def remember_offered() -> bool:
    """Whether "keep me signed in" is on (GATEHOUSE_REMEMBER_DAYS > 0)."""
    return current_app.config["GATEHOUSE_REMEMBER_DAYS"] > 0


@dataclass(frozen=True)
class NewSession:
    token: str
    row: LoginSession


@dataclass(frozen=True)
class SessionInfo:
    """A live session as the sessions page and `gatehouse sessions list` show it."""

    id: int
    kind: str
    label: str | None
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ip: str | None
    browser: str
    remember: bool = False  # "keep me signed in"


def _minutes(name: str) -> timedelta:
    return timedelta(minutes=current_app._get_current_object().config[name])  # read per request: docs/performance.md


def _alive(entry: CachedSession, now: datetime, limits: Limits) -> bool:
    if now >= entry.expires_at:
        return False
    return not (entry.kind == BROWSER and now - entry.last_seen_at >= limits.idle_of(entry.remember))


def _live(now: datetime, limits: Limits):
    """`_alive` as a SQL condition (plus: not revoked)."""
    return and_(
        LoginSession.revoked_at.is_(None),
        LoginSession.expires_at > now,
        or_(LoginSession.kind != BROWSER,
            and_(LoginSession.remember.is_(False), LoginSession.last_seen_at > now - limits.idle),
            and_(LoginSession.remember.is_(True), LoginSession.last_seen_at > now - limits.remember_idle)),
    )


def create(kind: str, ip: str | None, user_agent: str | None, label: str | None = None,
           methods: tuple[str, ...] = (PASSWORD,), remember: bool = False, commit: bool = True) -> NewSession:
    """Start a session with a fresh random token (never reuses one: no fixation); `methods`:
    how it was signed in. `remember`: "keep me signed in", for a browser session while
    GATEHOUSE_REMEMBER_DAYS is not 0 (asked of anything else, it is an ordinary session).
    `commit=False`: part of the caller's transaction (its id is known)."""
    token = new_token()
    now = utcnow()
    remember = bool(remember) and kind == BROWSER and remember_offered()
    lifetime = (timedelta(days=current_app.config["GATEHOUSE_REMEMBER_DAYS"]) if remember
                else _minutes("GATEHOUSE_SESSION_LIFETIME_MINUTES"))
    row = LoginSession(
        token_hash=hash_token(token), kind=kind, label=label, created_at=now, last_seen_at=now,
        expires_at=now + lifetime, ip=ip, user_agent=_clean_user_agent(user_agent), methods=" ".join(methods),
        authenticated_at=now, remember=remember,
    )
    db.session.add(row)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return NewSession(token, row)


def reauthenticate(session_id: int, methods: tuple[str, ...], now: datetime | None = None) -> bool:
    """The live session `session_id` signed in again (an access rule's max_age, docs/access.md):
    its `authenticated_at` becomes now and `methods` how it just proved it. The same session and
    token: no new session, every other session untouched. False when it is no longer live.

    The cache entry is dropped after the commit, so the next check reads the fresh row.
    """
    now = now or utcnow()
    refreshed = db.session.execute(
        update(LoginSession)
        .where(LoginSession.id == session_id, _live(now, _limits()))
        .values(authenticated_at=now, methods=" ".join(methods), last_seen_at=now)
        .returning(LoginSession.token_hash)
    ).all()
    db.session.commit()
    for row in refreshed:
        session_cache.backend.invalidate(row.token_hash)
    return bool(refreshed)


def _clean_user_agent(value: str | None) -> str | None:
    if not value:
        return None
    return "".join(ch for ch in value if ch.isprintable())[:256]


def validate(token: str, now: datetime | None = None) -> CachedSession | None:
    """The live session for `token`, or None if unknown, expired, idle too long or revoked."""
    now = now or utcnow()
    key = hash_token(token)
    cache = session_cache.backend
    limits = _limits()
    cached = cache.get(key)
    if cached is None:
        row = db.session.scalar(
            select(LoginSession).where(LoginSession.token_hash == key, LoginSession.revoked_at.is_(None))
        )
        if row is None:
            return None
        cached = _entry(row)
        if _alive(cached, now, limits):
            _remember(key, cached, now)
    if not _alive(cached, now, limits):
        cache.invalidate(key)
        return None
    if cached.kind == BROWSER and now - cached.last_seen_at >= touch_interval(limits.idle_of(cached.remember)):
        cached = _touch(key, cached, now)
    return cached


def _entry(row: LoginSession) -> CachedSession:
    return CachedSession(row.id, row.kind, row.expires_at, row.last_seen_at, tuple(row.methods.split()),
                         row.authenticated_at, row.remember)


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
    touched = replace(entry, last_seen_at=now)
    _remember(key, touched, now)
    return touched


def is_live(session_id: int, now: datetime | None = None) -> bool:
    """Whether the session `session_id` would still be accepted: the OpenID tokens it granted live
    exactly as long (app/oidc/tokens.py). One indexed read, so a revocation made by any worker or
    process counts at once."""
    live = _live(now or utcnow(), _limits())
    return db.session.scalar(select(LoginSession.id).where(LoginSession.id == session_id, live)) is not None


def touch_by_id(session_id: int, now: datetime | None = None) -> None:
    """Count a use of the session by an app it signed in (a token refresh) as activity, at most
    once per touch interval, so an app in use keeps its granting session from idling out."""
    now = now or utcnow()
    idle = _minutes("GATEHOUSE_SESSION_IDLE_MINUTES")
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.id == session_id, LoginSession.revoked_at.is_(None),
               LoginSession.last_seen_at < now - touch_interval(idle))
        .values(last_seen_at=now)
    )
    db.session.commit()


def active(now: datetime | None = None) -> list[SessionInfo]:
    """Every session that would still be accepted, newest first."""
    now = now or utcnow()
    rows = db.session.scalars(
        select(LoginSession).where(_live(now, _limits()))
        .order_by(LoginSession.created_at.desc(), LoginSession.id.desc())
    )
    return [
        SessionInfo(row.id, row.kind, row.label, row.created_at, row.last_seen_at, row.expires_at, row.ip,
                    short_name(row.user_agent), bool(row.remember))
        for row in rows
    ]


def count_active(now: datetime | None = None) -> int:
    """How many sessions `active` would list (gatehouse_sessions_active); one COUNT query."""
    live = _live(now or utcnow(), _limits())
    return db.session.scalar(select(func.count()).select_from(LoginSession).where(live))


def revoke_token(token: str, ip: str | None = None, user_agent: str | None = None) -> int | None:
    """Sign out the session `token` belongs to (by its holder); unknown is fine. The id it ended, or None."""
    key = hash_token(token)
    ended = _revoke(LoginSession.token_hash == key, SessionsEnded((), SessionsEnded.SIGNED_OUT, ip, user_agent))
    if not ended:
        session_cache.backend.invalidate(key)  # expired or gone: make sure no process serves it
    return ended[0] if ended else None


def revoke(session_id: int, ip: str | None = None, user_agent: str | None = None, detail: str | None = None) -> bool:
    """End one session by the id the sessions page and CLI show (the admin's revocation; `ip=None`:
    the command line); False if it was not live."""
    detail = detail or f"session {session_id}"
    return bool(_revoke(LoginSession.id == session_id, SessionsEnded((), SessionsEnded.REVOKED, ip, user_agent, detail)))


def revoke_others(keep_id: int, ip: str | None = None, user_agent: str | None = None) -> int:
    """End every live session except `keep_id`; returns how many ended."""
    return len(_revoke(LoginSession.id != keep_id, SessionsEnded((), SessionsEnded.REVOKED, ip, user_agent),
                       detail=lambda n: f"{n} other session{'s' if n != 1 else ''}"))


def revoke_all(keep_id: int | None = None, ip: str | None = None, user_agent: str | None = None,
               how: str = SessionsEnded.REVOKED) -> int:
    """End every session (but `keep_id`); returns how many ended. `how`: REVOKED (the admin's
    revocation) or ENDED_BY_CHANGE (a change that is its own outcome)."""
    condition = LoginSession.id != keep_id if keep_id is not None else None
    return len(_revoke(condition, SessionsEnded((), how, ip, user_agent), clear_cache=True,
                       detail=lambda n: f"all sessions ({n})"))


def mark_all_revoked(keep_id: int | None = None) -> list[int]:
    """`revoke_all` inside the caller's transaction (a password change, codes turned on): the rows
    are marked, not committed; after its commit the caller hands the ids to `ended_by_change`."""
    condition = LoginSession.id != keep_id if keep_id is not None else None
    ended = [row.id for row in _mark(condition)]
    session_cache.backend.clear()  # before the commit too: see `_revoke`
    return ended


def ended_by_change(session_ids: list[int]) -> None:
    """After the commit of `mark_all_revoked`'s transaction: no process serves them, and it is told."""
    session_cache.backend.clear()
    _announce(SessionsEnded(tuple(session_ids)))


def _mark(condition):
    query = update(LoginSession).where(LoginSession.revoked_at.is_(None))
    if condition is not None:
        query = query.where(condition)
    return db.session.execute(
        query.values(revoked_at=utcnow()).returning(LoginSession.id, LoginSession.token_hash)
    ).all()


def _revoke(condition, ended_as: SessionsEnded, clear_cache: bool = False, detail=None) -> list[int]:
    """The one revoke path: mark the rows, commit, drop them from the cache, then say so
    (`sessions_ended`, app/signals.py; `detail(count)` words it for the activity).

    Dropped from the cache before the commit as well as after it: a process killed between the
    commit and the cache (kill -9, a lost Redis write) must not leave a revoked session served
    from a shared cache for its TTL. After the commit, so a concurrent validation cannot re-cache
    a row just revoked (the cache's tombstones cover the read that happened just before).
    """
    ended = _mark(condition)
    _drop_cached(ended, clear_cache)
    db.session.commit()
    _drop_cached(ended, clear_cache)
    ids = tuple(row.id for row in ended)
    if ids:
        _announce(replace(ended_as, session_ids=ids, detail=detail(len(ids)) if detail else ended_as.detail))
    return list(ids)


def _drop_cached(ended, clear_cache: bool) -> None:
    if clear_cache:
        session_cache.backend.clear()
    else:
        for row in ended:
            session_cache.backend.invalidate(row.token_hash)


def _announce(ended: SessionsEnded) -> None:
    if ended.session_ids:
        signals.publish(signals.sessions_ended, ended=ended)


def purge(now: datetime) -> int:
    """Delete sessions that can never validate again: revoked, expired, or idle too long.

    Revoked rows go at once: validation already ignores them and the sessions page lists
    live sessions only, so keeping them would serve nobody. (A background task.)
    """
    result = db.session.execute(
        delete(LoginSession).where(not_(_live(now, _limits()))),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return result.rowcount


def remaining_seconds(entry: CachedSession | LoginSession, now: datetime | None = None) -> int:
    return max(0, int((entry.expires_at - (now or utcnow())).total_seconds()))
