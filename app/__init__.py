"""Gatehouse: a one-password login portal. `create_app` (app/factory.py) is the only place an app is born."""

from __future__ import annotations

__all__ = ["create_app"]


def __getattr__(name: str):
    """`from app import create_app`, without loading the application on `import app.<anything>`:
    gunicorn.conf.py imports `app.runtime.workers` in gunicorn's master, which must not load
    Flask, the views or prometheus_client (it reads PROMETHEUS_MULTIPROC_DIR once, on import)."""
    if name == "create_app":
        from app.factory import create_app

        return create_app
    raise AttributeError(f"module 'app' has no attribute {name!r}")
