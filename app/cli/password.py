"""`gatehouse set-password [--stdin]`: set or replace the master password from the host."""

from __future__ import annotations

import getpass
import sys
import warnings

import click
from flask.cli import with_appcontext

from app.security.passwords import PasswordRejected, check_new_password
from app.services import password_change

NO_TERMINAL = (
    "There is no terminal to ask for the password on. Pipe it in instead, one line:\n"
    "  printf '%s\\n' \"$NEW_PASSWORD\" | gatehouse set-password --stdin"
)


@click.command("set-password")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the password as one line from standard input.")
@with_appcontext
def set_password(from_stdin: bool) -> None:
    """Set or replace the master password and sign every session out.

    Asks twice on the terminal; without one (a script, cron, ssh without -t) use --stdin.
    Works while the server runs: the server reads the hash from the database at each
    sign-in, so the new password counts at once.
    """
    password, confirm = _from_stdin() if from_stdin else _from_terminal()
    try:
        password_change.set_on_host(password, confirm)
    except PasswordRejected as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("Master password set; every session has been signed out.")


def _from_stdin() -> tuple[str, None]:
    raw = sys.stdin.buffer.readline()
    try:
        return raw.removesuffix(b"\n").removesuffix(b"\r").decode("utf-8"), None
    except UnicodeDecodeError:
        raise click.ClickException("The password is not valid UTF-8 text.") from None


def _from_terminal() -> tuple[str, str]:
    """Two hidden prompts. A password that breaks the rules is refused at the first one (and
    asked again). Without a terminal getpass would warn, read visibly from stdin and end in
    "Aborted!": turn its warning into a pointer to --stdin instead."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", getpass.GetPassWarning)
            password = click.prompt("New master password", hide_input=True, value_proc=_acceptable)
            confirm = click.prompt("Repeat the password", hide_input=True)
    except getpass.GetPassWarning:
        raise click.ClickException(NO_TERMINAL) from None
    return password, confirm


def _acceptable(value: str) -> str:
    try:
        check_new_password(value)
    except PasswordRejected as exc:
        raise click.UsageError(str(exc)) from None
    return value
