"""The `gatehouse` console entry point (setup.cfg) and `--version`.

`main` builds a plain click group with the commands on it, so `--help`/`-h` and a mistyped
command never build the app; a command that needs it builds it through Flask's ScriptInfo
(`with_appcontext`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy.exc import SQLAlchemyError

from app.cli import COMMANDS, CONTEXT
from app.config import ConfigError
from app.factory import create_app
from app.runtime.logs import configure_for_a_command
from app.version import version

# These may start from nothing: they create the instance folder (and the database) on purpose.
MAY_CREATE_INSTANCE = {"gatehouse db upgrade", "gatehouse serve", "gatehouse restore"}

HELP = """Gatehouse administration. Settings come from the GATEHOUSE_* environment
variables (see docs/settings.md); use the same ones as the server, e.g.
GATEHOUSE_INSTANCE_DIR=/var/lib/gatehouse.

\b
First install:  gatehouse db upgrade && gatehouse set-password && gatehouse serve
Who is in:      gatehouse sessions list
Lock out all:   gatehouse sessions revoke --all   (or set a new password)
Let one in:     gatehouse unblock 192.0.2.1
Lost the phone: gatehouse two-factor disable
Access rules:   gatehouse access check && gatehouse access explain https://tool.example.org/
"""


def _create_app() -> Flask:
    """The app for a command, after refusing to invent a data folder in the wrong place."""
    _refuse_missing_instance(click.get_current_context().command_path)
    app = create_app()
    configure_for_a_command()
    return app


def _refuse_missing_instance(command_path: str) -> None:
    """Run from the wrong folder, a command would create a fresh ./instance (a new secret and
    an empty SQLite file) and report on that instead of the real one. Refuse, and say where."""
    if command_path in MAY_CREATE_INSTANCE:
        return
    if os.environ.get("GATEHOUSE_DATABASE_URL") and os.environ.get("GATEHOUSE_SECRET_KEY"):
        return  # nothing would be written into the instance folder
    instance = Path(os.environ.get("GATEHOUSE_INSTANCE_DIR") or "instance").resolve()
    if not instance.is_dir():
        raise click.ClickException(
            f"no instance folder at {instance}. Run this where the server runs, or set "
            "GATEHOUSE_INSTANCE_DIR to its data folder (e.g. GATEHOUSE_INSTANCE_DIR=/var/lib/gatehouse); "
            "`gatehouse db upgrade` creates a new one."
        )


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"gatehouse {version()}")
        ctx.exit()


def cli() -> click.Group:
    group = click.Group("gatehouse", help=HELP, context_settings=CONTEXT, params=[click.Option(
        ["--version"], is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
        help="Print the Gatehouse version and exit.")])
    for command in COMMANDS:
        group.add_command(command)
    return group


def main() -> None:
    try:
        cli().main(prog_name="gatehouse", obj=ScriptInfo(create_app=_create_app, set_debug_flag=False),
                   standalone_mode=True)
    except ConfigError as exc:
        sys.exit(f"gatehouse: {exc}")
    except SQLAlchemyError as exc:  # no traceback (or URL with its password) for a missing or old schema
        sys.exit(
            f"gatehouse: the database is unreachable or not migrated ({type(exc).__name__}): "
            "check GATEHOUSE_DATABASE_URL, then run `gatehouse db upgrade`"
        )
