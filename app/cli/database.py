"""`gatehouse db upgrade` (create or upgrade the schema, and say which of the two it did) and
`gatehouse backup PATH`."""

from __future__ import annotations

from pathlib import Path

import click
from alembic.migration import MigrationContext
from flask.cli import with_appcontext

from app.database import upgrade
from app.extensions import db
from app.services.backup import BackupError
from app.services.backup import backup as copy_database


@click.group("db", short_help="Create or upgrade the database schema.")
def db_group() -> None:
    """Database schema commands (run `gatehouse db upgrade` after installing or updating)."""


@db_group.command("upgrade", short_help="Create or upgrade the schema (Alembic).")
@with_appcontext
def db_upgrade() -> None:
    """Create or upgrade the database schema to the newest version (Alembic)."""
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


@click.command("backup", short_help="Copy the SQLite database, also while serving.")
@click.argument("path", type=click.Path(dir_okay=True, path_type=Path))
@with_appcontext
def backup(path: Path) -> None:
    """Write a consistent copy of the SQLite database to PATH (mode 0600), also while the server
    runs; an existing file there is replaced once the copy is complete. For PostgreSQL use
    pg_dump. Restore, upgrades and moving hosts: docs/operations.md.
    """
    try:
        written = copy_database(db.engine, path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backup written to {written} ({written.stat().st_size} bytes).")
