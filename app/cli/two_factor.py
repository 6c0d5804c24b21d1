"""`gatehouse two-factor status|disable`: the second factor seen and switched off from the host.

`disable` is the break-glass path for a lost phone and lost recovery codes: whoever has a
shell on the host already owns the database, so it asks for no password, only whether you
mean it (y/N, or `--yes` in a script). What it did is kept in the sign-in activity and
told to whoever listens to `account_changed` (app/signals.py), not printed as a log line.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.cli.words import counted
from app.services import passkeys, two_factor


@click.group("two-factor", short_help="See or turn off two-factor sign-in.")
def two_factor_group() -> None:
    """See or turn off two-factor sign-in (authenticator codes and passkeys).

    \b
    Examples:
      gatehouse two-factor status
      gatehouse two-factor disable      (lost phone and recovery codes)
    """


@two_factor_group.command("status", short_help="Whether sign-ins ask for a code; codes and passkeys left.")
@with_appcontext
def status() -> None:
    """Say whether sign-ins ask for a code, how many recovery codes are left, and how many passkeys there are."""
    state = two_factor.status()
    keys = passkeys.count()
    if not state.totp_on:
        click.echo("Two-factor sign-in is off: the master password alone signs in.")
    else:
        click.echo("Two-factor sign-in is on: authenticator app.")
        if not state.codes_readable:
            click.echo("But its secret cannot be read with the current secret key (was GATEHOUSE_SECRET_KEY "
                       "replaced?): codes from the app are refused, recovery codes and passkeys still work.\n"
                       "Fix: set GATEHOUSE_SECRET_KEY_PREVIOUS to the old key (docs/operations.md, \"Secrets in "
                       "files\"), or run `gatehouse two-factor disable` and set the app up again on /two-factor.")
        click.echo(f"Recovery codes left: {state.recovery_left}")
    click.echo(f"Passkeys: {keys}" + (" (each signs in on its own)" if keys else ""))


@two_factor_group.command("disable", short_help="Break-glass: codes and passkeys off, everyone signed out.")
@click.option("--yes", "-y", "assume_yes", is_flag=True, help="Do not ask before turning it off (for scripts).")
@with_appcontext
def disable(assume_yes: bool) -> None:
    """Turn two-factor sign-in off, remove every passkey, and sign out every session.

    Asks first (y/N) unless --yes is given. Sign in with the master password alone
    afterwards, and set up the app (and passkeys) again on /two-factor.
    """
    codes_on, keys = two_factor.status().totp_on, passkeys.count()
    if not codes_on and not keys:
        click.echo("Two-factor sign-in is already off and there are no passkeys; nothing changed.")
        return
    if not assume_yes:
        what = [part for part, shown in (("turn off authenticator codes", codes_on),
                                          (f"remove {counted(keys, 'passkey')}", keys)) if shown]
        click.echo(f"This will {' and '.join(what)}, and sign out every session (browsers and API tokens).")
        if not click.confirm("Go ahead?", default=False):
            click.echo("Nothing changed.")
            click.get_current_context().exit(1)
    removed = passkeys.delete_all()
    ended = two_factor.disable_and_sign_out()
    click.echo(f"Two-factor sign-in is off; {counted(removed, 'passkey')} removed; "
               f"{counted(ended, 'session')} signed out.")
