"""`gatehouse unblock IP|--all`: the host-side recovery path when sign-in is blocked."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from werkzeug.exceptions import ServiceUnavailable

from app.extensions import limiter
from app.security.client_ip import parse_ip


@click.command("unblock", short_help="Lift sign-in blocks: one address, or --all.")
@click.argument("ip", required=False)
@click.option("--all", "everything", is_flag=True, help="Clear every block, count and the global budget.")
@with_appcontext
def unblock(ip: str | None, everything: bool) -> None:
    """Lift sign-in blocks: one address (which also skips the global budget for 15 minutes,
    so you can sign in from it and get a trusted device cookie), or --all.

    A running server notices within a second; no restart needed.
    """
    if everything == (ip is not None):
        raise click.UsageError("give either one IP address or --all")
    address = parse_ip(ip) if ip is not None else None
    if ip is not None and address is None:
        raise click.BadParameter(f"{ip!r} is not an IP address", param_hint="IP")
    try:
        had = limiter.unblock(str(address) if address else None)
    except ServiceUnavailable:  # the shared limiter's Redis is unreachable
        raise click.ClickException("cannot reach Redis (GATEHOUSE_REDIS_URL); nothing was unblocked") from None
    if everything:
        click.echo("Every sign-in block has been cleared.")
        return
    said = {
        "blocked": f"Sign-in from {address} is unblocked.",
        "counted": f"{address} was not blocked; its failed attempts are forgotten.",
        "nothing": f"{address} was not blocked and had no failed attempts (check the address: "
                   "behind a proxy it is the one in X-Forwarded-For, see GATEHOUSE_TRUSTED_PROXIES).",
    }[had]
    click.echo(f"{said} For the next 15 minutes it also skips the global budget.")
