"""Liveness and readiness probes; no authentication, no setup gate."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 while the process runs."""
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/readyz")
def readyz():
    """200 when the database answers, 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return "database unavailable\n", 503, {"Content-Type": "text/plain; charset=utf-8"}
    return "ready\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
