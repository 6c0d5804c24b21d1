"""`gatehouse sessions list|revoke`: see and end sign-in sessions from the host's shell."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from app.models import utcnow
from app.services import login_sessions

log = logging.getLogger("gatehouse.cli")
COLUMNS = "{:>6}  {:<7}  {:<16}  {:<16}  {:<16}  {:<15}  {}"


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


def _reach() -> str:
    """When a running server notices a revocation made in this (other) process."""
    ttl = current_app.config["GATEHOUSE_CACHE_TTL_SECONDS"]
    if current_app.config["GATEHOUSE_CACHE"] != "memory" or ttl == 0:
        return "The running server refuses it at once."
    return f"The running server refuses it within {ttl} s (GATEHOUSE_CACHE_TTL_SECONDS)."


@click.group("sessions")
def sessions_group() -> None:
    """List and revoke sign-in sessions (browsers and API tokens).

    \b
    Examples:
      gatehouse sessions list
      gatehouse sessions revoke 12
      gatehouse sessions revoke --all
    """


@sessions_group.command("list")
@with_appcontext
def list_sessions() -> None:
    """Show every active session: id, kind, times (UTC), IP and label or browser.

    The id is what `gatehouse sessions revoke ID` takes.
    """
    rows = login_sessions.active(utcnow())
    if not rows:
        click.echo("No active sessions.")
        return
    click.echo(COLUMNS.format("ID", "KIND", "CREATED", "LAST SEEN", "EXPIRES", "IP", "LABEL / BROWSER"))
    for row in rows:
        detail = row.label or row.browser
        click.echo(COLUMNS.format(
            row.id, row.kind, _when(row.created_at), _when(row.last_seen_at), _when(row.expires_at), row.ip or "-",
            detail[:60],
        ))


@sessions_group.command("revoke")
@click.argument("session_id", metavar="ID", type=int, required=False)
@click.option("--all", "revoke_all", is_flag=True, help="Revoke every session, including your own browser's.")
@with_appcontext
def revoke(session_id: int | None, revoke_all: bool) -> None:
    """Sign out one session by its ID (from `gatehouse sessions list`), or every session with --all."""
    if (session_id is None) == (not revoke_all):
        raise click.UsageError("Give exactly one of: a session ID, or --all.")
    if revoke_all:
        count = login_sessions.revoke_all()
        log.info("%s sessions revoked from the command line", count,
                 extra={"event": "sessions_revoked", "count": count})
        click.echo(f"Revoked {count} session{'s' if count != 1 else ''}. {_reach()}")
        return
    if not login_sessions.revoke(session_id):
        raise click.ClickException(f"No active session with ID {session_id} (see `gatehouse sessions list`).")
    log.info("session revoked from the command line", extra={"event": "session_revoked", "session_id": session_id})
    click.echo(f"Revoked session {session_id}. {_reach()}")
