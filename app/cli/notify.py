"""`gatehouse notify test`: send one message to every address of GATEHOUSE_NOTIFY_URLS now, and say
whether it arrived at each (docs/notifications.md)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app import notify
from app.notify import events


@click.group("notify", short_help="Notifications through Apprise: send a test.")
def notify_group() -> None:
    """Notifications through Apprise (GATEHOUSE_NOTIFY_URLS).

    \b
    Example:
      gatehouse notify test
    """


@notify_group.command("test", short_help="Send a test message; say whether it arrived.")
@with_appcontext
def test() -> None:
    """Send a test message to every notification address now and say whether each took it.
    Exit status 1 when any did not."""
    sender = notify.notifier()
    if not sender.enabled:
        raise click.ClickException("GATEHOUSE_NOTIFY_URLS is empty: there is nowhere to send to "
                                   "(docs/notifications.md shows how to set it up)")
    results = sender.deliver(events.trial_message())
    for result in results:
        if result.arrived:
            click.echo(f"Address {result.target}: arrived.")
        else:
            click.echo(f"Address {result.target}: did not arrive ({result.reason or 'no reason given'}).")
    failed = sum(not r.arrived for r in results)
    if failed:
        raise click.ClickException(f"{failed} of {len(results)} address(es) did not take the message; "
                                   "check the address (docs/notifications.md)")
    click.echo(f"The test message arrived at all {len(results)} address(es).")
