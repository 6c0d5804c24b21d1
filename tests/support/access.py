"""Helpers for the access-rule tests: the SPEC's example file, and a request as the rules read it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from app.access.decision import Session
from app.access.hosts import read_host
from app.access.networks import parse_ip
from app.access.paths import read_path
from app.access.rules import Reading

EXAMPLE = """\
default = "signed_in"                 # bypass | signed_in | two_factor | deny

[networks]
home = ["192.168.1.0/24", "fd00::/8"]

[[rule]]
name = "jellyfin apps at home"
hosts = ["jellyfin.example.org"]
networks = ["home"]
policy = "bypass"

[[rule]]
name = "grafana api keys"
hosts = ["grafana.example.org"]
paths = ["/api/**"]
policy = "bypass"

[[rule]]
name = "proxmox"
hosts = ["pve.example.org"]
policy = "two_factor"
max_age = "15m"

[[rule]]
name = "no admin from outside"
hosts = ["*.example.org"]
paths = ["/admin/**"]
networks = ["!home"]
policy = "deny"
"""

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)
PASSWORD_ONLY = Session(("password",), NOW - timedelta(minutes=1))
WITH_CODE = Session(("password", "code"), NOW - timedelta(minutes=1))


def reading(host: str | None = "grafana.example.org", path: str | None = "/", method: str | None = "GET",
            ip: str | None = None) -> Reading:
    return Reading(read_host(host), read_path(path), method, parse_ip(ip))
