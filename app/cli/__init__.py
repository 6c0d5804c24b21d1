"""The `gatehouse` command: a Flask CLI for the app (set-password, db upgrade, sessions, serve)."""

from __future__ import annotations

import os
import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from app.extensions import db
from app.security.passwords import PasswordRejected


@click.command("set-password")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the password as one line from standard input.")
@with_appcontext
def set_password(from_stdin: bool) -> None:
    """Set or replace the master password and sign every session out.

    Works while the server runs: the server reads the hash from the database at each
    sign-in, so the new password counts at once.
    """
    from app.services import master_password

    if from_stdin:
        raw = sys.stdin.buffer.readline()
        try:
            password = raw.removesuffix(b"\n").removesuffix(b"\r").decode("utf-8")
        except UnicodeDecodeError:
            raise click.ClickException("The password is not valid UTF-8 text.") from None
        confirm = None
    else:
        password = click.prompt("New master password", hide_input=True)
        confirm = click.prompt("Repeat the password", hide_input=True)
    try:
        master_password.replace(password, confirm)
    except PasswordRejected as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("Master password set; every session has been signed out.")


@click.group("db")
def db_group() -> None:
    """Database schema commands (run `gatehouse db upgrade` after installing or updating)."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Create or upgrade the database schema to the newest version (Alembic)."""
    from app.database import upgrade

    upgrade(db.engine)
    click.echo("Database is up to date.")


@click.command("serve", context_settings={"ignore_unknown_options": True})
@click.argument("gunicorn_args", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
def serve(gunicorn_args: tuple[str, ...]) -> None:
    """Serve the portal: gunicorn with the shipped gunicorn.conf.py, in the foreground.

    Listens on GATEHOUSE_BIND (default 127.0.0.1:8000) with one worker; stop it with
    Ctrl-C or SIGTERM (requests in flight finish first). Run `gatehouse db upgrade`
    before the first start. Extra arguments go to gunicorn, e.g.
    `gatehouse serve --access-logfile /var/log/gatehouse-access.log`.
    """
    from app.database import MIGRATIONS

    root = MIGRATIONS.parent
    # gunicorn runs from the code's folder: pin the data folder first, so a relative
    # GATEHOUSE_INSTANCE_DIR means the same folder it meant for this command.
    os.environ["GATEHOUSE_INSTANCE_DIR"] = str(current_app.config["GATEHOUSE_INSTANCE_DIR"])
    os.chdir(root)
    command = ["-m", "gunicorn", "-c", str(root / "gunicorn.conf.py"), *gunicorn_args, "wsgi:app"]
    os.execvp(sys.executable, [sys.executable, *command])


def register(app: Flask) -> None:
    from app.cli.sessions import sessions_group
    from app.cli.unblock import unblock

    for command in (set_password, db_group, sessions_group, unblock, serve):
        app.cli.add_command(command)


def _create_app():
    from app import create_app

    return create_app()


HELP = """Gatehouse administration. Settings come from the GATEHOUSE_* environment
variables (see README.md, "Settings"); use the same ones as the server, e.g.
GATEHOUSE_INSTANCE_DIR=/var/lib/gatehouse.

\b
First install:  gatehouse db upgrade && gatehouse set-password && gatehouse serve
Who is in:      gatehouse sessions list
Lock out all:   gatehouse sessions revoke --all   (or set a new password)
"""


def main() -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from app.config import ConfigError

    # No Flask development server (`run`) or app-discovery options: only Gatehouse's commands.
    group = FlaskGroup(
        create_app=_create_app, add_default_commands=False, add_version_option=False, load_dotenv=False, help=HELP
    )
    group.params = [param for param in group.params if param.name not in {"env_file", "app", "debug"}]
    try:
        group(prog_name="gatehouse")
    except ConfigError as exc:
        sys.exit(f"gatehouse: {exc}")
    except SQLAlchemyError as exc:  # no traceback (or URL with its password) for a missing or old schema
        sys.exit(
            f"gatehouse: the database is unreachable or not migrated ({type(exc).__name__}): "
            "check GATEHOUSE_DATABASE_URL, then run `gatehouse db upgrade`"
        )
