"""Tables behind the limiter's memory, so blocks survive a restart (migration 0003)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models import Base, UTCDateTime


class LoginLimit(Base):
    """One client's consecutive failures and block. `key` is `ip:<address or /64>` or `device:<nonce>`."""

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
