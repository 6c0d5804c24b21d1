"""Liveness and readiness probes; no authentication, no setup gate."""

from __future__ import annotations

from flask import Blueprint

from app.services.readiness import database_ready

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 while the process runs."""
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/readyz")
def readyz():
    """200 when the database answers and takes a write (app/services/readiness.py), 503 otherwise.

    No version in the body, for anyone: behind a reverse proxy every caller looks local, so
    "loopback only" would tell the internet too. `gatehouse --version` and the private
    metrics listener's `gatehouse_build_info` tell it (docs/operations.md, "Metrics").
    """
    if not database_ready():
        return "database unavailable\n", 503, {"Content-Type": "text/plain; charset=utf-8", "Retry-After": "5"}
    return "ready\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
