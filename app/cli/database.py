"""`gatehouse db upgrade`: create or upgrade the schema (Alembic)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.database import upgrade
from app.extensions import db


@click.group("db")
def db_group() -> None:
    """Database schema commands (run `gatehouse db upgrade` after installing or updating)."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Create or upgrade the database schema to the newest version (Alembic)."""
    upgrade(db.engine)
    click.echo("Database is up to date.")
