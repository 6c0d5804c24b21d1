"""`gatehouse db upgrade` (create or upgrade the schema, Alembic) and `gatehouse backup PATH`."""

from __future__ import annotations

from pathlib import Path

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


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=True, path_type=Path))
@with_appcontext
def backup(path: Path) -> None:
    """Write a consistent copy of the SQLite database to PATH (mode 0600), also while the server
    runs; an existing file there is replaced once the copy is complete. For PostgreSQL use
    pg_dump. Restore, upgrades and moving hosts: docs/operations.md.
    """
    from app.services.backup import BackupError
    from app.services.backup import backup as copy_database

    try:
        written = copy_database(db.engine, path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backup written to {written} ({written.stat().st_size} bytes).")
