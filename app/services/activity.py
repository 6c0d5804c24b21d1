"""Sign-in activity: who signed in, who failed, who was refused, and what changed.

Events are written from the published outcomes (app/signals.py; the `on_*` subscribers at the
end, connected by the app factory): failed secret checks, sign-ins, sign-outs and
revocations, password and second-factor changes. Failed checks cost a row each: the login
limiter's backoff and global budget bound how many there can be. Attempts the limiter refuses
while blocked reach `note_blocked` through the callback the app factory hands it, and are
tallied in memory (app/services/blocked_tally.py).
Recording never breaks the action it records: a database error is logged and swallowed (a
connection lost since the action's own commit is tried once more, on a fresh connection).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import case, delete, func, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.bounded_cache import BoundedCache
from app.database import connection_lost, recover
from app.extensions import db
from app.models import SignInEvent, utcnow
from app.security.client_ip import limit_key
from app.services.blocked_tally import MANY, BlockedTally
from app.services.user_agents import short_name
from app import signals
from app.signals import AccountChange, SecretCheck, SessionsEnded, SignedIn

log = logging.getLogger("gatehouse.activity")

SIGNED_IN, SIGNED_OUT, SESSION_REVOKED = "signed_in", "signed_out", "session_revoked"
FAILED_PASSWORD, FAILED_CODE, BLOCKED = "failed_password", "failed_code", "blocked"
FAILED_SETUP_CODE, FAILED_NEW_CODE = "failed_setup_code", "failed_new_code"
PASSWORD_CHANGED, SECOND_FACTOR_CHANGED = "password_changed", "second_factor_changed"
APP_SIGNED_IN, FAILED_APP_SECRET = "app_signed_in", "failed_app_secret"  # the OpenID Provider (docs/oidc.md)
LABELS = {
    SIGNED_IN: "Signed in", FAILED_PASSWORD: "Wrong password", FAILED_CODE: "Wrong code",
    FAILED_SETUP_CODE: "Wrong setup code", FAILED_NEW_CODE: "Wrong code while setting up the app",
    BLOCKED: "Refused while blocked", SIGNED_OUT: "Signed out", SESSION_REVOKED: "Session revoked",
    PASSWORD_CHANGED: "Password changed", SECOND_FACTOR_CHANGED: "Second factor changed",
    APP_SIGNED_IN: "App sign-in", FAILED_APP_SECRET: "Wrong app secret",
}
# What the home page counts as failed sign-in attempts: a wrong password, code or app secret.
# A wrong setup code (before there was anything to sign in to) and a wrong code from an app
# being set up (by the signed-in admin) are failed checks too, listed on /activity, but no
# attempt to get in.
FAILED = (FAILED_PASSWORD, FAILED_CODE, FAILED_APP_SECRET)
_FAILED_KIND = {signals.PASSWORD: FAILED_PASSWORD, signals.SETUP_CODE: FAILED_SETUP_CODE,
                signals.NEW_CODE: FAILED_NEW_CODE, "client secret": FAILED_APP_SECRET}
RECENT = 200  # `recent()`'s default
PAGE_SIZE = 25  # events on one page of /activity
# The filters of /activity (`?kind=`): each names the kinds it shows.
GROUPS = {
    "signed-in": (SIGNED_IN, APP_SIGNED_IN),
    "failed": (FAILED_PASSWORD, FAILED_CODE, FAILED_SETUP_CODE, FAILED_NEW_CODE, FAILED_APP_SECRET, BLOCKED),
    "changes": (PASSWORD_CHANGED, SECOND_FACTOR_CHANGED, SESSION_REVOKED, SIGNED_OUT),
}
_TALLY = "gatehouse.activity.blocked"


def record(kind: str, ip: str | None, user_agent: str | None, *, detail: str | None = None,
           session_id: int | None = None) -> None:
    """Store one event now. `ip=None` means the command line on the host."""
    if kind not in LABELS:
        raise ValueError(f"unknown activity kind {kind!r}")
    for attempt in (1, 2):  # a connection that died after the action's own commit: once more, on a fresh one
        try:
            db.session.add(SignInEvent(at=utcnow(), kind=kind, ip=ip, user_agent=_cut(user_agent, 256),
                                       detail=_cut(detail, 100), session_id=session_id, count=1))
            db.session.commit()
            _forget_summaries()
            return
        except SQLAlchemyError as exc:
            recover(db.session)
            if attempt == 2 or not connection_lost(exc):
                log.error("could not record %s: %s", kind, type(exc).__name__, extra={"event": "activity_error"})
                return


def note_blocked(ip: str | None, user_agent: str | None) -> None:
    """Count one attempt refused while blocked; writes the tally when a write is due.

    Kept per client as the limiter sees one (app/security/client_ip.py `limit_key`): an IPv6
    address by its /64, so one blocked /64 is one row a minute, not one per address it uses.
    """
    now = utcnow().timestamp()
    _forget_summaries()
    if _tally().add(_client_of(ip), _cut(user_agent, 256), now):
        flush(now)


def _client_of(ip: str | None) -> str | None:
    key = limit_key(ip)
    return key if key != "unknown" else ip


def flush(now: float | None = None) -> int:
    """Write this process's tallied refusals: one row per address and minute, added to an
    existing row for the same minute. Returns how many rows were touched."""
    taken = _tally().take(now if now is not None else utcnow().timestamp())
    if not taken:
        return 0
    for _attempt in range(2):  # a concurrent insert of the same minute: the second pass adds to it
        try:
            for (ip, minute), pending in taken.items():
                start, last = (datetime.fromtimestamp(t, timezone.utc) for t in (minute, pending.last))
                added = db.session.execute(
                    update(SignInEvent)
                    .where(SignInEvent.ip == ip, SignInEvent.minute == start)
                    .values(count=SignInEvent.count + pending.count,
                            at=case((SignInEvent.at < last, last), else_=SignInEvent.at))
                ).rowcount
                if not added:
                    db.session.add(SignInEvent(at=last, kind=BLOCKED, ip=ip, user_agent=pending.user_agent,
                                               count=pending.count, minute=start))
                    db.session.flush()
            db.session.commit()
            return len(taken)
        except IntegrityError:
            db.session.rollback()
        except SQLAlchemyError:
            db.session.rollback()
            break
    log.error("could not record %s refused attempts", sum(p.count for p in taken.values()),
              extra={"event": "activity_error"})
    return 0


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str
    label: str
    ip: str | None
    browser: str | None
    detail: str | None
    count: int

    @property
    def address(self) -> str:
        return {None: "command line", MANY: "many addresses"}.get(self.ip, self.ip)


def recent(limit: int = RECENT) -> list[Event]:
    """The latest events, newest first (this process's tallied refusals written first)."""
    return listing(None, 1, limit).events


@dataclass(frozen=True)
class Page:
    events: list[Event]
    number: int  # 1 is the newest
    has_older: bool


def listing(group: str | None, number: int, size: int = PAGE_SIZE) -> Page:
    """Page `number` (from 1) of the events, newest first, only the kinds of `group` (GROUPS) if given."""
    flush()
    query = select(SignInEvent).order_by(SignInEvent.at.desc(), SignInEvent.id.desc())
    if group is not None:
        query = query.where(SignInEvent.kind.in_(GROUPS[group]))
    rows = list(db.session.scalars(query.offset((number - 1) * size).limit(size + 1)))
    events = [Event(r.at, r.kind, LABELS.get(r.kind, r.kind), r.ip,
                    short_name(r.user_agent) if r.user_agent else None, r.detail, r.count) for r in rows[:size]]
    return Page(events, number, len(rows) > size)


@dataclass(frozen=True)
class Summary:
    previous: Event | None  # the latest sign-in other than the one that started this session
    failed: int  # failed password and code checks since then (ever, without one)
    blocked: int  # attempts refused while blocked since then


SUMMARY_SECONDS = 10.0  # how long the home page may show a summary before asking again
_SUMMARIES = "gatehouse.activity.summaries"


def summary(current_session_id: int | None) -> Summary:
    """What the home page says about earlier activity.

    Kept per session for `SUMMARY_SECONDS` (the home page is the page a signed-in admin
    loads most, and these are its only queries besides the session's); an event this process
    records clears them at once, one recorded by another process shows within that time.
    """
    return _summaries().get_or_make(current_session_id, lambda: _summary(current_session_id))


def _summaries() -> BoundedCache:
    """One entry per signed-in session: a handful (app/bounded_cache.py)."""
    kept = current_app._get_current_object().extensions.get(_SUMMARIES)  # per home page: docs/performance.md
    if kept is None:
        kept = current_app.extensions.setdefault(_SUMMARIES, BoundedCache(1000, ttl=SUMMARY_SECONDS))
    return kept


def _forget_summaries() -> None:
    _summaries().clear()


def _summary(current_session_id: int | None) -> Summary:
    flush()
    row = db.session.scalars(
        select(SignInEvent)
        .where(SignInEvent.kind == SIGNED_IN,
               (SignInEvent.session_id != current_session_id) | SignInEvent.session_id.is_(None))
        .order_by(SignInEvent.at.desc(), SignInEvent.id.desc()).limit(1)
    ).first()
    since = [SignInEvent.at > row.at] if row is not None else []

    def total(*kinds: str):
        return func.coalesce(func.sum(case((SignInEvent.kind.in_(kinds), SignInEvent.count), else_=0)), 0)

    failed, blocked = db.session.execute(
        select(total(*FAILED), total(BLOCKED)).where(SignInEvent.kind.in_((*FAILED, BLOCKED)), *since)
    ).one()
    previous = None if row is None else Event(row.at, row.kind, LABELS[SIGNED_IN], row.ip,
                                              short_name(row.user_agent) if row.user_agent else None, row.detail, 1)
    return Summary(previous, int(failed), int(blocked))


def purge(now: datetime) -> int:
    """Delete events older than GATEHOUSE_ACTIVITY_DAYS (after writing the tally)."""
    flush(now.timestamp())
    cutoff = now - timedelta(days=current_app.config["GATEHOUSE_ACTIVITY_DAYS"])
    result = db.session.execute(delete(SignInEvent).where(SignInEvent.at < cutoff),
                                execution_options={"synchronize_session": False})
    db.session.commit()
    return result.rowcount


def _tally() -> BlockedTally:
    """This app's tally of refusals, made on first use (one per process and app)."""
    tally = current_app.extensions.get(_TALLY)
    return tally if tally is not None else current_app.extensions.setdefault(_TALLY, BlockedTally())


def _cut(text: str | None, limit: int) -> str | None:
    """Printable characters only (the value is client-controlled), at most `limit` of them."""
    return "".join(ch for ch in text[: limit * 2] if ch.isprintable())[:limit] or None if text else None


# --- subscribers of the published outcomes (app/signals.py) ---

def on_checked(_sender, check: SecretCheck) -> None:
    if not check.ok:
        record(_FAILED_KIND.get(check.step, FAILED_CODE), check.ip, check.user_agent, detail=check.detail)


def on_signed_in(_sender, signed_in: SignedIn) -> None:
    record(SIGNED_IN, signed_in.ip, signed_in.user_agent, detail=signed_in.detail, session_id=signed_in.session_id)


def on_sessions_ended(_sender, ended: SessionsEnded) -> None:
    if ended.how == SessionsEnded.SIGNED_OUT:
        record(SIGNED_OUT, ended.ip, ended.user_agent, session_id=ended.session_ids[0])
    elif ended.how == SessionsEnded.REVOKED:
        one = ended.session_ids[0] if len(ended.session_ids) == 1 else None
        record(SESSION_REVOKED, ended.ip, ended.user_agent, detail=ended.detail, session_id=one)


def on_account_changed(_sender, change: AccountChange) -> None:
    record(PASSWORD_CHANGED if change.what == AccountChange.PASSWORD else SECOND_FACTOR_CHANGED, change.ip,
           change.user_agent, detail=change.detail, session_id=change.session_id)
