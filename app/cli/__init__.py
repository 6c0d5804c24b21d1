"""The `gatehouse` command: a Flask CLI for the app, one module per command group.

set-password (password.py), db upgrade (database.py), sessions list|revoke (sessions.py),
two-factor status|disable (two_factor.py), unblock (unblock.py), serve (serve.py).
"""

from __future__ import annotations

import sys

from flask import Flask
from flask.cli import FlaskGroup
from sqlalchemy.exc import SQLAlchemyError

from app.cli.database import db_group
from app.cli.password import set_password
from app.cli.serve import serve
from app.cli.sessions import sessions_group
from app.cli.two_factor import two_factor_group
from app.cli.unblock import unblock
from app.config import ConfigError


def register(app: Flask) -> None:
    for command in (set_password, db_group, sessions_group, two_factor_group, unblock, serve):
        app.cli.add_command(command)


def _create_app():
    from app import create_app  # create_app imports this package to register the commands

    return create_app()


HELP = """Gatehouse administration. Settings come from the GATEHOUSE_* environment
variables (see README.md, "Settings"); use the same ones as the server, e.g.
GATEHOUSE_INSTANCE_DIR=/var/lib/gatehouse.

\b
First install:  gatehouse db upgrade && gatehouse set-password && gatehouse serve
Who is in:      gatehouse sessions list
Lock out all:   gatehouse sessions revoke --all   (or set a new password)
Lost the phone: gatehouse two-factor disable
"""


def main() -> None:
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
