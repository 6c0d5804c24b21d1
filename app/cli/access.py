"""`gatehouse access check|explain`: try the access rules (docs/access.md) from the shell.

Neither command builds the app or opens the database: `check` must work on the very file
that would stop the app from starting, and `explain` only needs the rules. Without FILE
(or `--file`) they read the file the server reads: GATEHOUSE_ACCESS_FILE, else
`<GATEHOUSE_INSTANCE_DIR>/access.toml` when it exists.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click

from app.access.decision import Session, decide
from app.access.errors import AccessFileError
from app.access.hosts import read_host
from app.access.loader import load
from app.access.paths import read_path
from app.access.policies import describe_duration, parse_duration
from app.access.rules import NO_RULES, Reading, Rules
from app.config import ConfigError, access_file
from app.security.client_ip import parse_ip
from app.security.forward_auth import STATUS

SESSIONS = {"none": None, "password": ("password",), "two_factor": ("password", "code")}
_URL = re.compile(r"(https?)://([^/?#]+)([^#]*)", re.IGNORECASE)
NO_FILE = "no access rules file: every forward-auth request needs a signed-in session"


def _configured() -> Path | None:
    instance = Path(os.environ.get("GATEHOUSE_INSTANCE_DIR") or "instance").resolve()
    try:
        return access_file(os.environ.get("GATEHOUSE_ACCESS_FILE", ""), instance)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _rules(path: Path | None) -> Rules:
    if path is None:
        return NO_RULES
    try:
        return load(path)
    except AccessFileError as exc:
        raise click.ClickException(str(exc)) from None


@click.group("access", short_help="Check the access rules; see which rule decides a URL.")
def access_group() -> None:
    """Check the access rules file and see which rule decides a request.

    \b
    Examples:
      gatehouse access check
      gatehouse access check /etc/gatehouse/access.toml.new
      gatehouse access explain https://grafana.example.org/api/health
      gatehouse access explain https://pve.example.org/ --session password
      gatehouse access explain https://files.example.org/admin/ --ip 203.0.113.7 --json
    """


@access_group.command("check", short_help="Check the rules file; its first fault, with the line.")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def check(file: Path | None) -> None:
    """Read FILE (default: the server's rules file) and report the first fault, with its line.

    Exit status 0 when the file is usable, 1 when it is not: `systemctl reload gatehouse`
    runs this before it signals the server (deploy/gatehouse.service).
    """
    path = file or _configured()
    if path is None:
        click.echo(f"{NO_FILE} (set GATEHOUSE_ACCESS_FILE, or create <instance>/access.toml)")
        return
    rules = _rules(path)
    click.echo(f"{path}: ok, {len(rules.rules)} rule(s), default {rules.default}")


@access_group.command("explain", short_help="The rule that decides URL, and the proxy's answer.")
@click.argument("url")
@click.option("--method", default="GET", show_default=True, help="The request's HTTP method.")
@click.option("--ip", "address", metavar="ADDR",
              help="The browser's address as the trusted proxy reports it. Without it: an address nobody "
                   "vouches for, which is in no network.")
@click.option("--session", "session", type=click.Choice(list(SESSIONS)), default="none", show_default=True,
              help="The session presented: none, signed in with the password, or with a second factor too.")
@click.option("--age", default="0s", show_default=True, metavar="DURATION",
              help="How long ago the session last signed in (for max_age), e.g. 20m.")
@click.option("--file", "file", type=click.Path(dir_okay=False, path_type=Path),
              help="Rules file to try instead of the server's (a draft).")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"rule": NAME or null, "policy": …, "status": HTTP status}.')
def explain(url: str, method: str, address: str | None, session: str, age: str, file: Path | None,
            as_json: bool) -> None:
    """Print the rule that decides URL and the answer the proxy would get.

    The status is that of /api/v1/auth/forward-auth for a script (nginx's /verify answers 204
    for 200; a browser's page load gets a redirect to the login page for 401).
    """
    rules = _rules(file or _configured())
    request = _reading(url, method, address)
    now = datetime.now(timezone.utc)
    try:
        ago = parse_duration(age) if age not in ("0", "0s") else timedelta(0)
    except ValueError as exc:
        raise click.BadParameter(str(exc).replace("max_age", "--age"), param_hint="--age") from None
    methods = SESSIONS[session]
    decision = decide(rules, request, Session(methods, now - ago) if methods else None, now)
    status = STATUS[decision.outcome]
    if as_json:
        click.echo(json.dumps({"rule": decision.rule, "policy": decision.policy, "status": status}))
        return
    found = next((rule for rule in rules.rules if rule.name == decision.rule), None)
    if found:
        click.echo(f"rule:    {decision.rule} (line {found.line})")
    else:
        click.echo(f"rule:    none matches: the default ({_source(rules)})")
    max_age = f", max_age {describe_duration(decision.max_age)}" if decision.max_age else ""
    click.echo(f"policy:  {decision.policy}{max_age}")
    if decision.ambiguous:
        click.echo(f"note:    judged by the strictest policy that could apply: {decision.ambiguous}")
    if request.address is None:
        click.echo("address: none vouched for (give --ip to act as the proxy's X-Forwarded-For): in no network")
    click.echo(f"answer:  {status} {decision.outcome.replace('_', ' ')}")


def _source(rules: Rules) -> str:
    return rules.source or NO_FILE


def _reading(url: str, method: str, address: str | None) -> Reading:
    found = _URL.fullmatch(url.strip())
    if found is None:
        raise click.BadParameter("must be an absolute http(s) URL, like https://grafana.example.org/api/x",
                                 param_hint="URL")
    host = read_host(found.group(2))
    if host is None:
        raise click.BadParameter(f"{found.group(2)!r} is not a host name or address", param_hint="URL")
    ip = parse_ip(address) if address else None
    if address and ip is None:
        raise click.BadParameter(f"{address!r} is not an IP address", param_hint="--ip")
    if not re.fullmatch(r"[A-Za-z]{1,20}", method):
        raise click.BadParameter(f"{method!r} is not an HTTP method", param_hint="--method")
    # As a proxy sends it: the URL's text as UTF-8 bytes, one character per byte (app/access/paths.py).
    path = (found.group(3) or "/").encode("utf-8").decode("latin-1")
    return Reading(host, read_path(path), method.upper(), ip)
