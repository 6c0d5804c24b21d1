"""Issued tokens (docs/oidc.md, "Tokens and revocation"): stored by SHA-256, tied to the login
session that granted them.

A token is usable while it is not revoked, not expired, and its granting session is live
(`login_sessions.is_live`, read from the database at each use: a sign-out or revocation made
by any worker or process counts at the next use). Revocation also marks rows, so the /apps
page and a later look at the table agree: `revoke_sessions` (subscribed to `sessions_ended`),
`revoke_all` (the second factor turned on or off), a family (refresh-token reuse, RFC 7009
revocation) or what one code gave (a code used twice).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from authlib.oauth2.rfc6749 import TokenMixin
from sqlalchemy import delete, or_, select, update

from app.extensions import db
from app.models import utcnow
from app.oidc import clients
from app.oidc.claims import Grantor
from app.oidc.models import OidcToken
from app.services import login_sessions

ACCESS_SECONDS = 3600
REFRESH_DAYS = 30  # a refresh token's own limit; its granting session usually ends first


def digest(value: str) -> str:
    """SHA-256 hex of a presented secret (any text: a client may send anything)."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class IssuedToken(TokenMixin):
    """A stored token as Authlib asks about it (its TokenMixin); `live`: the granting session was
    live when it was read."""

    pk: int
    client: clients.RegisteredClient
    grantor: Grantor
    family: str
    scope: str
    expires_at: datetime
    refresh_expires_at: datetime | None
    refresh_used: bool
    revoked: bool
    live: bool

    def check_client(self, client) -> bool:
        return getattr(client, "pk", None) == self.client.pk

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return max(0, int((self.expires_at - utcnow()).total_seconds()))

    def is_expired(self) -> bool:
        return utcnow() >= self.expires_at

    def is_revoked(self) -> bool:
        return self.revoked or not self.live

    def get_user(self) -> Grantor:
        return self.grantor

    def get_client(self) -> clients.RegisteredClient:
        return self.client


def _of(row: OidcToken, client: clients.RegisteredClient) -> IssuedToken:
    grantor = Grantor(row.session_id, tuple(row.methods.split()), row.auth_time, client.groups)
    return IssuedToken(row.id, client, grantor, row.family, row.scope, row.expires_at, row.refresh_expires_at,
                       row.refresh_used_at is not None, row.revoked_at is not None,
                       login_sessions.is_live(row.session_id))


def save(token: dict, client: clients.RegisteredClient, grantor: Grantor, *, code_id: int | None = None,
         family: str | None = None) -> None:
    """Store what the token endpoint is about to answer (Authlib's `save_token`), hashed."""
    now = utcnow()
    refresh = token.get("refresh_token")
    db.session.add(OidcToken(
        client_id=client.pk, session_id=grantor.session_id, code_id=code_id, family=family or secrets.token_hex(16),
        access_hash=digest(token["access_token"]), refresh_hash=digest(refresh) if refresh else None,
        scope=token.get("scope", ""), methods=" ".join(grantor.methods), auth_time=grantor.auth_time, issued_at=now,
        expires_at=now + timedelta(seconds=int(token.get("expires_in") or ACCESS_SECONDS)),
        refresh_expires_at=now + timedelta(days=REFRESH_DAYS) if refresh else None,
    ))
    db.session.commit()


def _find(condition) -> IssuedToken | None:
    row = db.session.scalar(select(OidcToken).where(condition))
    if row is None:
        return None
    client = clients.by_pk(row.client_id)
    return _of(row, client) if client is not None else None


def find_access(value: str) -> IssuedToken | None:
    """The token behind an access token (userinfo); Authlib asks `is_expired`/`is_revoked`."""
    return _find(OidcToken.access_hash == digest(value)) if value else None


def find_any(value: str) -> IssuedToken | None:
    """The token behind an access or a refresh token (RFC 7009 revocation)."""
    if not value:
        return None
    key = digest(value)
    return _find(or_(OidcToken.access_hash == key, OidcToken.refresh_hash == key))


def find_refresh(value: str) -> IssuedToken | None:
    """A usable refresh token, or None. One presented after it was used (rotated) is a stolen
    copy or a replay: its whole family is revoked (RFC 9700, refresh token rotation)."""
    found = _find(OidcToken.refresh_hash == digest(value)) if value else None
    if found is None:
        return None
    if found.refresh_used:
        revoke_family(found.family)
        return None
    if found.revoked or not found.live or (found.refresh_expires_at and utcnow() >= found.refresh_expires_at):
        return None
    return found


def spend_refresh(token: IssuedToken) -> bool:
    """Mark a refresh token used, once: False when another request spent it first (then the
    family is revoked, as for any reuse)."""
    spent = db.session.execute(
        update(OidcToken).where(OidcToken.id == token.pk, OidcToken.refresh_used_at.is_(None))
        .values(refresh_used_at=utcnow())
    ).rowcount
    db.session.commit()
    if not spent:
        revoke_family(token.family)
    return bool(spent)


def _revoke(condition) -> int:
    count = db.session.execute(
        update(OidcToken).where(condition, OidcToken.revoked_at.is_(None)).values(revoked_at=utcnow()),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.commit()
    return count


def revoke_family(family: str) -> int:
    return _revoke(OidcToken.family == family)


def revoke_from_code(code_id: int) -> int:
    """Revoke every family a code started (a code used a second time)."""
    families = select(OidcToken.family).where(OidcToken.code_id == code_id).scalar_subquery()
    return _revoke(OidcToken.family.in_(families))


def revoke_sessions(session_ids: tuple[int, ...] | list[int]) -> int:
    return _revoke(OidcToken.session_id.in_(list(session_ids))) if session_ids else 0


def revoke_all() -> int:
    return _revoke(OidcToken.id.is_not(None))


def purge(now: datetime) -> int:
    """Delete tokens nobody can use again: revoked, or past both their ends (a background task)."""
    # A used refresh token's row is kept while it could still be replayed (its family's reuse
    # check); past its own end nobody can present it.
    dead = or_(OidcToken.revoked_at.is_not(None),
               (OidcToken.expires_at < now) & or_(OidcToken.refresh_expires_at.is_(None),
                                                  OidcToken.refresh_expires_at < now))
    count = db.session.execute(delete(OidcToken).where(dead), execution_options={"synchronize_session": False}).rowcount
    db.session.commit()
    return count
