"""The OpenID Provider's tables (docs/oidc.md): registered apps, authorization codes, tokens.

Typed like app/models.py and on its `Base`, so Alembic sees them (migration 0010). No secret
is stored: client secrets, codes and tokens are kept as their SHA-256. Rows name the login
session that granted them by id, without a foreign key (sessions are purged on their own
clock); a session that is no longer live makes its codes and tokens worthless at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models import Base, UTCDateTime, utcnow


class OidcClient(Base):
    """An app the admin registered. `secret_hash` is None for a public client (PKCE instead)."""

    __tablename__ = "oidc_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[str] = mapped_column(String(64))
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    redirect_uris: Mapped[str] = mapped_column(Text)  # one a line, compared exactly
    post_logout_redirect_uris: Mapped[str] = mapped_column(Text, default="")
    policy: Mapped[str] = mapped_column(String(16), default="signed_in")  # or "two_factor"
    groups: Mapped[str] = mapped_column(String(512), default="admins")  # comma-separated
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("name", name="uq_oidc_clients_name"),
        UniqueConstraint("client_id", name="uq_oidc_clients_client_id"),
    )


class OidcCode(Base):
    """An authorization code: 60 seconds, used once (`used_at`); a second use revokes what the
    first gave (the tokens whose `code_id` is this row)."""

    __tablename__ = "oidc_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[int] = mapped_column(Integer)  # OidcClient.id
    session_id: Mapped[int] = mapped_column(Integer)  # LoginSession.id
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(String(512))
    nonce: Mapped[str | None] = mapped_column(String(512))
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(16))
    auth_time: Mapped[datetime] = mapped_column(UTCDateTime)
    methods: Mapped[str] = mapped_column(String(64))  # LoginSession.methods when it was issued
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("code_hash", name="uq_oidc_codes_code_hash"),
        Index("ix_oidc_codes_expires_at", "expires_at"),
    )


class OidcToken(Base):
    """An access token and, with `offline_access`, a refresh token. A refresh makes a new row in
    the same `family` and marks the old refresh token used; presenting a used one again revokes
    the whole family."""

    __tablename__ = "oidc_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(Integer)  # OidcClient.id
    session_id: Mapped[int] = mapped_column(Integer)  # LoginSession.id that granted it
    code_id: Mapped[int | None] = mapped_column(Integer)  # OidcCode.id it came from (first of a family)
    family: Mapped[str] = mapped_column(String(32))
    access_hash: Mapped[str] = mapped_column(String(64))
    refresh_hash: Mapped[str | None] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(512))
    methods: Mapped[str] = mapped_column(String(64))
    auth_time: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the access token's end
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refresh_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("access_hash", name="uq_oidc_tokens_access_hash"),
        UniqueConstraint("refresh_hash", name="uq_oidc_tokens_refresh_hash"),
        Index("ix_oidc_tokens_session_id", "session_id"),
        Index("ix_oidc_tokens_family", "family"),
        Index("ix_oidc_tokens_client_id", "client_id"),
    )
