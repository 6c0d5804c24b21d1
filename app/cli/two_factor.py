"""`gatehouse two-factor status|disable`: the second factor seen and switched off from the host.

`disable` is the break-glass path for a lost phone and lost recovery codes: whoever has a
shell on the host already owns the database, so it asks for nothing more.
"""

from __future__ import annotations

import logging

import click
from flask.cli import with_appcontext

from app.services import passkeys, two_factor

log = logging.getLogger("gatehouse.cli")


@click.group("two-factor")
def two_factor_group() -> None:
    """See or turn off two-factor sign-in (authenticator codes and passkeys).

    \b
    Examples:
      gatehouse two-factor status
      gatehouse two-factor disable      (lost phone and recovery codes)
    """


@two_factor_group.command("status")
@with_appcontext
def status() -> None:
    """Say whether sign-ins ask for a code, and how many recovery codes are left."""
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


@two_factor_group.command("disable")
@with_appcontext
def disable() -> None:
    """Turn two-factor sign-in off, remove every passkey, and sign out every session.

    Sign in with the master password alone afterwards, and set up the app (and passkeys)
    again on /two-factor.
    """
    if not two_factor.status().totp_on and not passkeys.count():
        click.echo("Two-factor sign-in is already off and there are no passkeys; nothing changed.")
        return
    removed = passkeys.delete_all()
    ended = two_factor.disable_and_sign_out()
    log.warning("second factor turned off from the command line", extra={"event": "two_factor_disabled_cli"})
    click.echo(f"Two-factor sign-in is off; {removed} passkey(s) removed; {ended} session(s) signed out.")
