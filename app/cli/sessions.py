"""`gatehouse sessions list|revoke`: see and end sign-in sessions from the host's shell."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from app.models import utcnow
from app.services import login_sessions


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


def _reach() -> str:
    """When a running server notices a revocation made in this (other) process."""
    ttl = current_app.config["GATEHOUSE_CACHE_TTL_SECONDS"]
    if current_app.config["GATEHOUSE_CACHE"] != "memory" or ttl == 0:
        return "The running server refuses it at once."
    return f"The running server refuses it within {ttl} s (GATEHOUSE_CACHE_TTL_SECONDS)."


@click.group("sessions", short_help="List and revoke sign-in sessions.")
def sessions_group() -> None:
    """List and revoke sign-in sessions (browsers and API tokens).

    \b
    Examples:
      gatehouse sessions list
      gatehouse sessions revoke 12
      gatehouse sessions revoke --all
    """


@sessions_group.command("list", short_help="Show every active session.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (times in ISO 8601 UTC) for scripts.")
@with_appcontext
def list_sessions(as_json: bool) -> None:
    """Show every active session: id, kind, times (UTC), IP and label or browser.

    The id is what `gatehouse sessions revoke ID` takes. No token is ever shown.
    """
    rows = login_sessions.active(utcnow())
    if as_json:
        click.echo(json.dumps([_as_dict(row) for row in rows], indent=2))
        return
    if not rows:
        click.echo("No active sessions.")
        return
    table = [("ID", "KIND", "CREATED", "LAST SEEN", "EXPIRES", "IP", "LABEL / BROWSER")] + [
        (str(row.id), row.kind, _when(row.created_at), _when(row.last_seen_at), _when(row.expires_at),
         row.ip or "-", (row.label or row.browser)[:60])
        for row in rows
    ]
    # Columns as wide as their widest cell: an IPv6 address is up to 39 characters.
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]) - 1)]
    for line in table:
        cells = [line[0].rjust(widths[0])] + [cell.ljust(width) for cell, width in zip(line[1:-1], widths[1:])]
        click.echo("  ".join([*cells, line[-1]]).rstrip())


def _as_dict(row: login_sessions.SessionInfo) -> dict:
    return {
        "id": row.id, "kind": row.kind, "label": row.label, "browser": row.browser, "ip": row.ip,
        "created_at": row.created_at.isoformat(), "last_seen_at": row.last_seen_at.isoformat(),
        "expires_at": row.expires_at.isoformat(),
    }


@sessions_group.command("revoke", short_help="Sign out one session, or --all.")
@click.argument("session_id", metavar="ID", type=int, required=False)
@click.option("--all", "revoke_all", is_flag=True, help="Revoke every session, including your own browser's.")
@with_appcontext
def revoke(session_id: int | None, revoke_all: bool) -> None:
    """Sign out one session by its ID (from `gatehouse sessions list`), or every session with --all.

    The revocation is kept in the sign-in activity (/activity), not printed as a log line.
    """
    if (session_id is None) == (not revoke_all):
        raise click.UsageError("Give exactly one of: a session ID, or --all.")
    if revoke_all:
        count = login_sessions.revoke_all()
        click.echo(f"Revoked {count} session{'s' if count != 1 else ''}. {_reach()}")
        return
    if not login_sessions.revoke(session_id):
        raise click.ClickException(f"No active session with ID {session_id} (see `gatehouse sessions list`).")
    click.echo(f"Revoked session {session_id}. {_reach()}")
