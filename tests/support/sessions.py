"""Reading what the database holds about sign-in sessions, for assertions."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import LoginSession


def newest_methods(app) -> tuple[str, ...]:
    """How the newest live session was signed in (LoginSession.methods), as a tuple."""
    with app.app_context():
        row = db.session.scalars(select(LoginSession).where(LoginSession.revoked_at.is_(None))
                                 .order_by(LoginSession.id.desc())).first()
        return tuple(row.methods.split())
