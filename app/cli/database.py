"""`gatehouse db upgrade` (create or upgrade the schema, and say which of the two it did),
`gatehouse backup PATH` and `gatehouse restore FILE` (docs/operations.md, "Backup and restore")."""

from __future__ import annotations

from pathlib import Path

import click
from alembic.migration import MigrationContext
from flask import current_app
from flask.cli import with_appcontext

from app.config import ensure_instance_dir, sqlite_path
from app.database import upgrade
from app.extensions import db, session_cache
from app.services import restore as restoring
from app.services import two_factor
from app.services.backup import BackupError
from app.services.backup import backup as copy_database


@click.group("db", short_help="Create or upgrade the database schema.")
def db_group() -> None:
    """Database schema commands (run `gatehouse db upgrade` after installing or updating)."""


@db_group.command("upgrade", short_help="Create or upgrade the schema (Alembic).")
@with_appcontext
def db_upgrade() -> None:
    """Create or upgrade the database schema to the newest version (Alembic)."""
    _make_instance_folder()
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


def _make_instance_folder() -> None:
    """The instance folder (0700) is made here, on purpose: when the secret key comes from the
    environment or a credential, nothing else would make it before SQLite needs it (issue 25)."""
    ensure_instance_dir(current_app.config["GATEHOUSE_INSTANCE_DIR"])
    path = sqlite_path(current_app.config["GATEHOUSE_DATABASE_URL"])
    if path is not None and not path.parent.is_dir():
        raise click.ClickException(f"the folder of the SQLite database, {path.parent}, does not exist: create it "
                                   "(owner-only, `install -d -m 0700 DIR`) or fix GATEHOUSE_DATABASE_URL")


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


@click.command("restore", short_help="Put a backup back (the instance stopped).")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the database without asking.")
@click.option("--keep-sessions", is_flag=True,
              help="Keep the sessions the backup holds (by default they are signed out: one revoked after the "
                   "backup would live again).")
@with_appcontext
def restore(file: Path, yes: bool, keep_sessions: bool) -> None:
    """Put a backup from `gatehouse backup` back in place of the SQLite database.

    Refuses while an instance serves (stop it first). FILE is checked before anything changes
    (a Gatehouse database, SQLite's integrity check, a revision this version knows); the
    replaced database is kept beside it (gatehouse.db.replaced-<time>). An older backup is
    migrated forward. For PostgreSQL use pg_restore (docs/operations.md).
    """
    _make_instance_folder()
    try:
        found = restoring.check(file)
        live = restoring.sqlite_file(db.engine)
        restoring.refuse_while_serving(db.engine)  # before asking: the answer would not matter
        click.echo(f"{found.path}: a Gatehouse database at revision {found.revision} (this version: {found.head}).")
        if not yes:
            click.confirm(f"Replace the database at {live} with it?", abort=True)
        done = restoring.restore(db.engine, file, keep_sessions=keep_sessions)
    except (restoring.RestoreError, BackupError) as exc:
        raise click.ClickException(str(exc)) from None
    session_cache.backend.clear()  # a shared (Redis) cache must not serve a session of the replaced database
    click.echo(f"Restored {done.database} from {found.path}"
               + (f" (migrated from revision {done.revision_before} to {done.revision})"
                  if done.revision_before != done.revision else "") + ".")
    click.echo(f"The replaced database is kept as {done.kept}." if done.kept else "There was no database to keep.")
    if keep_sessions:
        click.echo("The backup's sessions were kept.")
    else:
        click.echo(f"{done.sessions_ended} session{'s' if done.sessions_ended != 1 else ''} from the backup "
                   "signed out: sign in again.")
    if not two_factor.codes_readable():
        click.echo("Warning: " + two_factor.UNREADABLE, err=True)
