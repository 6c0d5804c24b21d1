"""What the serving process does around the app: first-run announcement at start-up."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from app.services import setup as setup_service


class StartupError(RuntimeError):
    """The server cannot start; the message says what to do."""


def start_serving(app: Flask) -> None:
    """Run once when a server process starts (not for CLI commands or test apps)."""
    with app.app_context():
        try:
            setup_service.ensure_code(app.config["GATEHOUSE_INSTANCE_DIR"])
        except SQLAlchemyError as exc:
            raise StartupError(f"the database is not ready ({type(exc).__name__}): run `gatehouse db upgrade`") from None
