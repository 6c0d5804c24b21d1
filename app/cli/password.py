"""`gatehouse set-password`: set or replace the master password from the host's shell."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from app.security.passwords import PasswordRejected
from app.services import master_password


@click.command("set-password")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the password as one line from standard input.")
@with_appcontext
def set_password(from_stdin: bool) -> None:
    """Set or replace the master password and sign every session out.

    Works while the server runs: the server reads the hash from the database at each
    sign-in, so the new password counts at once.
    """
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
