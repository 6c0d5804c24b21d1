"""`gatehouse db upgrade`: create or upgrade the schema, and say which of the two it did."""

from __future__ import annotations

import click
from alembic.migration import MigrationContext
from flask.cli import with_appcontext


@click.group("db")
def db_group() -> None:
    """Database schema commands (run `gatehouse db upgrade` after installing or updating)."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Create or upgrade the database schema to the newest version (Alembic)."""
    from app.database import upgrade
    from app.extensions import db

    where = db.engine.url.render_as_string(hide_password=True)
    before = _revision(db.engine)
    upgrade(db.engine)
    after = _revision(db.engine)
    if before is None:
        click.echo(f"Created the database schema (revision {after}) in {where}.")
    elif before == after:
        click.echo(f"The database is already up to date (revision {after}).")
    else:
        click.echo(f"Upgraded the database from revision {before} to {after}.")


def _revision(engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
