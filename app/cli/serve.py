"""`gatehouse serve`: exec gunicorn with the shipped gunicorn.conf.py."""

from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from app.database import MIGRATIONS


@click.command("serve", short_help="Serve the portal with gunicorn, in the foreground.",
               context_settings={"ignore_unknown_options": True})
@click.argument("gunicorn_args", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
def serve(gunicorn_args: tuple[str, ...]) -> None:
    """Serve the portal: gunicorn with the shipped gunicorn.conf.py, in the foreground.

    Listens on GATEHOUSE_BIND (default 127.0.0.1:8000) with one worker; stop it with
    Ctrl-C or SIGTERM (requests in flight finish first). Run `gatehouse db upgrade`
    before the first start. Extra arguments go to gunicorn, e.g.
    `gatehouse serve --access-logfile /var/log/gatehouse-access.log`.
    """
    root = MIGRATIONS.parent
    # gunicorn runs from the code's folder: pin the data folder first, so a relative
    # GATEHOUSE_INSTANCE_DIR means the same folder it meant for this command.
    os.environ["GATEHOUSE_INSTANCE_DIR"] = str(current_app.config["GATEHOUSE_INSTANCE_DIR"])
    os.chdir(root)
    command = ["-m", "gunicorn", "-c", str(root / "gunicorn.conf.py"), *gunicorn_args, "wsgi:app"]
    os.execvp(sys.executable, [sys.executable, *command])
