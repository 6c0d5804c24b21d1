"""`gatehouse oidc add|list|remove|rotate-key`: the apps that sign in through the OpenID Provider
(docs/oidc.md), from the host's shell. The same rules as the /apps page (app/oidc/clients.py)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.oidc import clients, keys


@click.group("oidc", short_help="Register and remove the apps of the OpenID Provider.")
def oidc_group() -> None:
    """Register the apps that sign in with OpenID Connect, and rotate the signing key.

    \b
    Examples:
      gatehouse oidc add grafana --redirect-uri https://grafana.example.org/login/generic_oauth
      gatehouse oidc add immich --public --redirect-uri app.immich:///oauth-callback
      gatehouse oidc list
      gatehouse oidc remove grafana
      gatehouse oidc rotate-key
    """


@oidc_group.command("add", short_help="Register an app; print its client ID and secret once.")
@click.argument("name")
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True, metavar="URI",
              help="Where the app receives the sign-in, exactly as it sends it (repeat for more).")
@click.option("--post-logout-redirect-uri", "logout_uris", multiple=True, metavar="URI",
              help="Where the app may send the browser after signing out (repeat for more).")
@click.option("--public", is_flag=True, help="No secret: a phone or browser app, which must use PKCE.")
@click.option("--policy", type=click.Choice(clients.POLICIES), default=clients.SIGNED_IN, show_default=True,
              help="two_factor: only a sign-in with a code or passkey gets in.")
@click.option("--groups", default="admins", show_default=True, help="Comma-separated `groups` claim.")
@click.option("--json", "as_json", is_flag=True, help="Print {name, client_id, client_secret} as JSON.")
@with_appcontext
def add(name: str, redirect_uris: tuple[str, ...], logout_uris: tuple[str, ...], public: bool, policy: str,
        groups: str, as_json: bool) -> None:
    """Register the app NAME and print its client_id and client_secret (shown only now)."""
    try:
        client, secret = clients.add(name, list(redirect_uris), list(logout_uris), public=public, policy=policy,
                                     groups=groups.split(","))
    except clients.ClientRejected as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps({"name": client.name, "client_id": client.client_id, "client_secret": secret}))
        return
    click.echo(f"Added {client.name}.")
    click.echo(f"issuer:        {current_app.config['GATEHOUSE_PUBLIC_URL'] or '(set GATEHOUSE_PUBLIC_URL)'}")
    click.echo(f"client_id:     {client.client_id}")
    click.echo(f"client_secret: {secret}" if secret else "client_secret: none (a public app: PKCE S256)")
    if secret:
        click.echo("The secret is shown only now; Gatehouse keeps just a fingerprint of it.")


@oidc_group.command("list", short_help="Show every registered app.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array for scripts.")
@with_appcontext
def list_apps(as_json: bool) -> None:
    """Show every registered app: name, client_id, kind, policy, last use (UTC) and redirect URIs."""
    apps = clients.listing()
    if as_json:
        click.echo(json.dumps([{
            "name": a.name, "client_id": a.client_id, "public": a.public, "policy": a.policy, "groups": list(a.groups),
            "redirect_uris": list(a.redirect_uris), "post_logout_redirect_uris": list(a.post_logout_redirect_uris),
            "last_used_at": a.last_used_at.isoformat() if a.last_used_at else None,
        } for a in apps], indent=2))
        return
    if not apps:
        click.echo("No apps. Add one with `gatehouse oidc add NAME --redirect-uri URI`.")
        return
    for a in apps:
        used = a.last_used_at.strftime("%Y-%m-%d %H:%M") if a.last_used_at else "never"
        kind = "public" if a.public else "confidential"
        click.echo(f"{a.name}  client_id={a.client_id}  {kind}  policy={a.policy}  last use: {used}")
        for uri in a.redirect_uris:
            click.echo(f"    {uri}")


@oidc_group.command("remove", short_help="Remove an app: its tokens stop working.")
@click.argument("name")
@with_appcontext
def remove(name: str) -> None:
    """Remove the app NAME: its codes and tokens stop working at once."""
    if not clients.remove(name):
        raise click.ClickException(f"No app named {name!r} (see `gatehouse oidc list`).")
    click.echo(f"Removed {name}; its sign-ins and tokens stopped working.")


@oidc_group.command("rotate-key", short_help="Sign new ID tokens with a new key.")
@with_appcontext
def rotate_key() -> None:
    """Sign new ID tokens with a new key; the old public key stays published for an hour (until
    the ID tokens it signed expire). The running server picks the new key up by itself."""
    kid = keys.rotate(Path(current_app.config["GATEHOUSE_INSTANCE_DIR"]) / keys.FILE_NAME)
    click.echo(f"New signing key {kid}; the previous one stays published for {keys.ID_TOKEN_SECONDS // 60} minutes.")
