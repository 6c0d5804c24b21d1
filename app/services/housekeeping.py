"""Purging what no request can use any more, so the database stays the size of the live set."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, or_

from app.extensions import db
from app.models import LoginSession
from app.services.sessions import BROWSER


def purge_sessions(now: datetime) -> int:
    """Delete sessions that can never validate again: revoked, expired, or idle too long.

    Revoked rows go at once: validation already ignores them and the sessions page lists
    live sessions only, so keeping them would serve nobody.
    """
    idle = timedelta(minutes=current_app.config["GATEHOUSE_SESSION_IDLE_MINUTES"])
    result = db.session.execute(
        delete(LoginSession).where(
            or_(
                LoginSession.revoked_at.is_not(None),
                LoginSession.expires_at <= now,
                and_(LoginSession.kind == BROWSER, LoginSession.last_seen_at <= now - idle),
            )
        ),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return result.rowcount
