"""Authorization codes (docs/oidc.md): 60 seconds, one use, stored by SHA-256.

A code is spent with a conditional UPDATE when the token endpoint takes it, so two requests
racing with one code cannot both win; the loser, like any later use, revokes every token the
first use produced (RFC 6749 §4.1.2). Spent codes are kept a day for that check, then purged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from authlib.oidc.core import AuthorizationCodeMixin
from sqlalchemy import delete, select, update

from app.extensions import db
from app.models import utcnow
from app.oidc import tokens
from app.oidc.claims import Grantor, amr
from app.oidc.models import OidcCode

LIFETIME = timedelta(seconds=60)
KEEP_SPENT = timedelta(days=1)


@dataclass(frozen=True)
class IssuedCode(AuthorizationCodeMixin):
    """A taken code as Authlib's grants ask about it."""

    pk: int
    client_pk: int
    grantor: Grantor
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return int(self.grantor.auth_time.timestamp())

    def get_amr(self) -> list[str]:
        return amr(self.grantor.methods)


def store(code: str, client_pk: int, grantor: Grantor, redirect_uri: str, scope: str, nonce: str | None,
          challenge: str | None, challenge_method: str | None) -> None:
    now = utcnow()
    db.session.add(OidcCode(
        code_hash=tokens.digest(code), client_id=client_pk, session_id=grantor.session_id, redirect_uri=redirect_uri,
        scope=scope, nonce=nonce, code_challenge=challenge, code_challenge_method=challenge_method,
        auth_time=grantor.auth_time, methods=" ".join(grantor.methods), created_at=now, expires_at=now + LIFETIME,
    ))
    db.session.commit()


def take(code: str, client_pk: int, groups: tuple[str, ...]) -> IssuedCode | None:
    """The code if it is this client's, fresh and unused, now spent; else None (a reuse also
    revokes what the first use gave)."""
    row = db.session.scalar(select(OidcCode).where(OidcCode.code_hash == tokens.digest(code))) if code else None
    if row is None or row.client_id != client_pk:
        return None
    if row.used_at is not None:
        tokens.revoke_from_code(row.id)
        return None
    if utcnow() >= row.expires_at:
        return None
    spent = db.session.execute(
        update(OidcCode).where(OidcCode.id == row.id, OidcCode.used_at.is_(None)).values(used_at=utcnow())
    ).rowcount
    db.session.commit()
    if not spent:  # another request took it a moment ago
        tokens.revoke_from_code(row.id)
        return None
    grantor = Grantor(row.session_id, tuple(row.methods.split()), row.auth_time, groups)
    return IssuedCode(row.id, row.client_id, grantor, row.redirect_uri, row.scope, row.nonce, row.code_challenge,
                      row.code_challenge_method)


def nonce_seen(client_pk: int, nonce: str) -> bool:
    """Whether this app already sent `nonce` (within the day codes are kept): a replayed request."""
    return db.session.scalar(
        select(OidcCode.id).where(OidcCode.client_id == client_pk, OidcCode.nonce == nonce).limit(1)
    ) is not None


def purge(now: datetime) -> int:
    count = db.session.execute(delete(OidcCode).where(OidcCode.created_at < now - KEEP_SPENT),
                               execution_options={"synchronize_session": False}).rowcount
    db.session.commit()
    return count
