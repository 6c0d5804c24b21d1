"""`gatehouse two-factor status|disable`: the second factor seen and switched off from the host.

`disable` is the break-glass path for a lost phone and lost recovery codes: whoever has a
shell on the host already owns the database, so it asks for nothing more.
"""

from __future__ import annotations

import logging

import click
from flask.cli import with_appcontext

from app.services import two_factor

log = logging.getLogger("gatehouse.cli")


@click.group("two-factor")
def two_factor_group() -> None:
    """See or turn off two-factor sign-in (authenticator codes).

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
    if not state.totp_on:
        click.echo("Two-factor sign-in is off: the master password alone signs in.")
        return
    click.echo("Two-factor sign-in is on: authenticator app.")
    click.echo(f"Recovery codes left: {state.recovery_left}")


@two_factor_group.command("disable")
@with_appcontext
def disable() -> None:
    """Turn two-factor sign-in off and sign out every session.

    Sign in with the master password alone afterwards, and set up the app again on
    /two-factor.
    """
    if not two_factor.status().totp_on:
        click.echo("Two-factor sign-in is already off; nothing changed.")
        return
    ended = two_factor.disable_and_sign_out()
    log.warning("second factor turned off from the command line", extra={"event": "two_factor_disabled_cli"})
    click.echo(f"Two-factor sign-in is off; {ended} session(s) signed out.")
