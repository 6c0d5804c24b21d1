"""Shared set-up for the in-process benchmarks: an app on a migrated database with N sessions."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

from app.factory import create_app
from app.database import make_engine
from app.extensions import db
from app.database import upgrade
from app.models import LoginSession, utcnow

SECRET = "benchmark-secret-key-0123456789abcdefghij"


def bench_app(folder: Path, database_url: str | None = None, **overrides):
    """A migrated app in `folder` (SQLite unless `database_url` is given)."""
    url = database_url or f"sqlite:///{folder / 'bench.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    settings = {
        "GATEHOUSE_INSTANCE_DIR": str(folder),
        "GATEHOUSE_DATABASE_URL": url,
        "GATEHOUSE_SECRET_KEY": SECRET,
        "GATEHOUSE_LOG_FORMAT": "text",
    }
    settings.update(overrides)
    return create_app(settings)


def token_for(i: int, prefix: str = "bench") -> str:
    return f"{prefix}-token-{i:09d}"


def add_sessions(app, count: int, prefix: str = "bench", batch: int = 10_000) -> None:
    """Insert `count` live API sessions whose raw tokens are `token_for(i, prefix)`."""
    now = utcnow()
    with app.app_context():
        for start in range(0, count, batch):
            rows = [
                {
                    "token_hash": hashlib.sha256(token_for(i, prefix).encode()).hexdigest(),
                    "kind": "api", "label": None, "created_at": now, "last_seen_at": now,
                    "expires_at": now + timedelta(hours=12), "revoked_at": None,
                    "ip": "203.0.113.7", "user_agent": "bench",
                }
                for i in range(start, min(start + batch, count))
            ]
            db.session.execute(insert(LoginSession), rows)
            db.session.commit()
