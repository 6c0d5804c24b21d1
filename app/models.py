"""Database tables. Typed SQLAlchemy 2 models; timestamps are timezone-aware UTC.

The schema is owned by Alembic (`migrations/`): production code never calls `create_all`.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stores UTC, always returns aware datetimes (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    pass


class LoginSession(Base):
    """A signed-in browser or an API token. Only the SHA-256 of the token is kept."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # "browser" or "api"
    label: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(256))
    # How it was signed in, space-separated (app/services/login_sessions.py: password, code,
    # recovery_code, passkey), and when it last proved that: access rules and OpenID claims ask.
    methods: Mapped[str] = mapped_column(String(64), default="password")
    authenticated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)  # "keep me signed in"

    __table_args__ = (
        UniqueConstraint("token_hash", name="uq_login_sessions_token_hash"),
        Index("ix_login_sessions_expires_at", "expires_at"),
    )


class Setting(Base):
    """One named value; holds the master password hash under `password_hash`."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class InstanceLease(Base):
    """The instance lock: who may serve alone (or run the background jobs), until when.

    The holder renews `expires_at` every few seconds; a holder that dies stops renewing,
    so the lease frees itself after its time-to-live even after `kill -9`.
    """

    __tablename__ = "instance_lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginLimit(Base):
    """Login limiter state behind its memory, so blocks survive a restart (app/ratelimit/store.py):
    one client's consecutive failures and block. `key` is `ip:<address or /64>` or `device:<nonce>`."""

    __tablename__ = "login_limits"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_until: Mapped[datetime] = mapped_column(UTCDateTime)
    exempt_until: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginFailure(Base):
    """One failed check by a client without a trusted device: the global budget's sliding window."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_login_failures_failed_at", "failed_at"),)


class Passkey(Base):
    """A WebAuthn credential registered for the admin: its public key and sign counter.

    `credential_id` is the authenticator's id in base64url (what browsers send back).
    """

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[str] = mapped_column(String(1400))
    public_key: Mapped[str] = mapped_column(Text)  # COSE key, base64url
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the challenge of the last accepted assertion was issued: an older one is a replay.
    last_challenge_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("credential_id", name="uq_passkeys_credential_id"),)


class SignInEvent(Base):
    """One line of the sign-in activity (docs/pages.md, "Sign-in activity").

    `ip` is None for what the command line did on the host. Refused attempts while blocked
    are kept one row per address and `minute` (`count` = how many, `at` = the latest), and a
    flood from more addresses than the activity keeps apart lands in one `ip="*"` row.
    `session_id` names the session a sign-in started (no foreign key: sessions are purged
    long before their events), so the home page can skip the current one.
    """

    __tablename__ = "signin_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(24))
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(256))
    detail: Mapped[str | None] = mapped_column(String(100))
    session_id: Mapped[int | None] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer, default=1)
    minute: Mapped[datetime | None] = mapped_column(UTCDateTime)  # refusals only: the minute they fell in

    __table_args__ = (
        Index("ix_signin_events_at", "at"),
        Index("ix_signin_events_kind_at", "kind", "at"),
        # One row per address and minute for refusals (other kinds have no minute, and NULLs
        # never collide): a concurrent second insert fails and the writer adds to the first row.
        UniqueConstraint("ip", "minute", name="uq_signin_events_ip_minute"),
    )


class TotpSecret(Base):
    """The authenticator-app secret, sealed (app/security/totp.py). At most one active row
    (`confirmed_at` set) and one pending row (begun by `session_id`, not yet confirmed)."""

    __tablename__ = "totp_secrets"

    id: Mapped[int] = mapped_column(primary_key=True)
    sealed_secret: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    session_id: Mapped[int | None] = mapped_column(Integer)  # who began a pending enrolment
    last_step: Mapped[int | None] = mapped_column(Integer)  # newest accepted time step: no replay


class RecoveryCode(Base):
    """One single-use recovery code; only its SHA-256 is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("code_hash", name="uq_recovery_codes_code_hash"),)


class LoginDevice(Base):
    """A device cookie Gatehouse issued (app/ratelimit/devices.py): only these count as trusted
    devices, so a cookie forged with a leaked key names none. The nonce is kept as its SHA-256."""

    __tablename__ = "login_devices"

    nonce_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_login_devices_issued_at", "issued_at"),)


class OneTimeTicket(Base):
    """A step that may be finished once (app/services/one_time.py): the code owed after a right
    password, a passkey registration's challenge. Only the SHA-256 of its value is kept; `epoch`
    ties a sign-in step to the password it was started with."""

    __tablename__ = "one_time_tickets"

    ticket_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(24))
    epoch: Mapped[str | None] = mapped_column(String(16))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_one_time_tickets_expires_at", "expires_at"),)
