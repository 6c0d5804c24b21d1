"""`gatehouse set-password [--stdin|--check]`: set or replace the master password from the host.

On a terminal it asks twice, and asks again (up to `TRIES` times) when the password breaks a
rule or the two differ. `--check` only says whether a password is set: `make run` asks it
before printing the first-run hint.
"""

from __future__ import annotations

import getpass
import sys
import warnings

import click
from flask.cli import with_appcontext

from app.cli.words import counted
from app.security.passwords import PasswordRejected, check_new_password
from app.services import master_password, password_change

NO_TERMINAL = (
    "There is no terminal to ask for the password on. Pipe it in instead, one line:\n"
    "  printf '%s\\n' \"$NEW_PASSWORD\" | gatehouse set-password --stdin"
)
TRIES = 3


@click.command("set-password", short_help="Set or replace the master password.")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the password as one line from standard input.")
@click.option("--check", is_flag=True, help="Only say whether a master password is set (exit status 1 if not).")
@with_appcontext
def set_password(from_stdin: bool, check: bool) -> None:
    """Set or replace the master password and sign every session out.

    Asks twice on the terminal; without one (a script, cron, ssh without -t) use --stdin.
    Works while the server runs: the server reads the hash from the database at each
    sign-in, so the new password counts at once.
    """
    if check:
        if from_stdin:
            raise click.UsageError("--check sets nothing: give it alone")
        _report_whether_set()
        return
    password, confirm = _from_stdin() if from_stdin else _from_terminal()
    try:
        done = password_change.set_on_host(password, confirm)
    except PasswordRejected as exc:
        raise click.ClickException(str(exc)) from None
    if done.first:
        click.echo("Master password set. Sign in with it on the portal.")
    else:
        click.echo(f"Master password replaced; {counted(done.ended, 'session')} signed out.")


def _report_whether_set() -> None:
    if master_password.is_set():
        click.echo("A master password is set.")
        return
    click.echo("No master password is set yet: run `gatehouse set-password`, or open /setup on the portal.")
    click.get_current_context().exit(1)


def _from_stdin() -> tuple[str, None]:
    raw = sys.stdin.buffer.readline()
    try:
        return raw.removesuffix(b"\n").removesuffix(b"\r").decode("utf-8"), None
    except UnicodeDecodeError:
        raise click.ClickException("The password is not valid UTF-8 text.") from None


def _from_terminal() -> tuple[str, str]:
    """Two hidden prompts, asked again (up to TRIES times) when the password breaks a rule or
    the repeat differs. Without a terminal getpass would warn, read visibly from stdin and end
    in "Aborted!": turn its warning into a pointer to --stdin instead."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", getpass.GetPassWarning)
            for _ in range(TRIES):
                password = click.prompt("New master password", hide_input=True)
                problem = _problem(password)
                if problem is None:
                    confirm = click.prompt("Repeat the password", hide_input=True)
                    if confirm == password:
                        return password, confirm
                    problem = "The two passwords do not match."
                click.echo(f"{problem} Try again.", err=True)
    except getpass.GetPassWarning:
        raise click.ClickException(NO_TERMINAL) from None
    raise click.ClickException(f"No password set after {TRIES} tries; nothing changed.")


def _problem(password: str) -> str | None:
    try:
        check_new_password(password)
    except PasswordRejected as exc:
        return str(exc)
    return None
