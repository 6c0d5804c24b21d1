"""docs/access.md's recipes, as written: each TOML block under "## Recipes" is read from the page
and asked the questions its text promises to answer (as `gatehouse access explain` asks them)."""

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from app.access.decision import Session, decide
from app.access.hosts import read_host
from app.access.loader import parse
from app.access.paths import read_path
from app.access.rules import Reading
from app.security.client_ip import parse_ip
from app.security.forward_auth import STATUS

DOC = Path(__file__).resolve().parents[2] / "docs" / "access.md"
NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)
SESSIONS = {"none": None, "password": Session(("password",), NOW), "two_factor": Session(("password", "code"), NOW),
            "stale two_factor": Session(("password", "code"), NOW - timedelta(minutes=16))}


def recipes() -> dict[str, str]:
    text = DOC.read_text().split("\n## Recipes\n", 1)[1]
    found = dict(re.findall(r"^### (.+?)\n.*?```toml\n(.*?)```", text, flags=re.M | re.S))
    assert found, "no recipes found in docs/access.md"
    return found


def status(rules, url, method="GET", ip=None, session="none"):
    scheme_host, _, path = url.partition("://")[2].partition("/")
    reading = Reading(read_host(scheme_host), read_path("/" + path), method, parse_ip(ip))
    return STATUS[decide(rules, reading, SESSIONS[session], NOW).outcome]


# title -> [(url, method, ip, session, status)]
CHECKS = {
    "Jellyfin and Plex apps at home": [
        ("https://jellyfin.example.org/Items", "GET", "192.168.1.20", "none", 200),
        ("https://plex.example.org/library", "GET", "fd00::20", "none", 200),
        ("https://jellyfin.example.org/web/", "GET", "203.0.113.5", "none", 401),
        ("https://jellyfin.example.org/web/", "GET", "203.0.113.5", "password", 200),
        ("https://jellyfin.example.org/Items", "GET", None, "none", 401),  # nobody vouched: not at home
    ],
    "Grafana API keys": [
        ("https://grafana.example.org/api/dashboards/uid/x", "GET", "203.0.113.5", "none", 200),
        ("https://grafana.example.org/api/ds/query", "POST", None, "none", 200),
        ("https://grafana.example.org/d/home", "GET", "203.0.113.5", "none", 401),
        ("https://grafana.example.org/api/../d/home", "GET", "203.0.113.5", "none", 401),
    ],
    "A Home Assistant webhook": [
        ("https://ha.example.org/api/webhook/abc123", "POST", "203.0.113.5", "none", 200),
        ("https://ha.example.org/api/webhook/abc123", "GET", "203.0.113.5", "none", 401),
        ("https://ha.example.org/api/webhook/abc/x", "POST", "203.0.113.5", "none", 401),
        ("https://ha.example.org/api/states", "POST", "203.0.113.5", "none", 401),
    ],
    "A hypervisor with two factors and a fresh sign-in": [
        ("https://pve.example.org/", "GET", None, "none", 401),
        ("https://pve.example.org/", "GET", None, "password", 403),
        ("https://pve.example.org/", "GET", None, "two_factor", 200),
        ("https://pve.example.org/api2/json/nodes", "GET", None, "stale two_factor", 401),
    ],
    "No admin path from outside": [
        ("https://files.example.org/admin/users", "GET", "203.0.113.5", "two_factor", 403),
        ("https://files.example.org/admin", "GET", "2001:db8::5", "two_factor", 403),
        ("https://blog.example.org/wp-admin/", "POST", None, "two_factor", 403),
        ("https://files.example.org/ADMIN/users", "GET", "203.0.113.5", "two_factor", 403),
        ("https://files.example.org/admin/users", "GET", "192.168.1.5", "password", 200),
        ("https://files.example.org/share/x", "GET", "203.0.113.5", "password", 200),
    ],
    "Everything open on the LAN": [
        ("https://anything.example.org/x", "GET", "10.1.2.3", "none", 200),
        ("https://nas/", "GET", "192.168.7.7", "none", 200),
        ("https://anything.example.org/x", "GET", "203.0.113.5", "none", 401),
        ("https://anything.example.org/x", "GET", None, "none", 401),
    ],
}


def test_every_recipe_on_the_page_is_checked():
    assert set(recipes()) == set(CHECKS)


@pytest.mark.parametrize("title", sorted(CHECKS))
def test_recipe(title):
    rules = parse(recipes()[title], f"docs/access.md: {title}")
    for url, method, ip, session, expected in CHECKS[title]:
        assert status(rules, url, method, ip, session) == expected, (url, method, ip, session)


def test_the_recipes_combine_into_one_file():
    """The page says to combine them: the networks tables merge, the rules follow one another."""
    networks, rules = {}, []
    for text in recipes().values():
        for name, cidrs in re.findall(r"^(\w+) = (\[.*\])$", text.split("[[rule]]")[0], flags=re.M):
            networks[name] = cidrs
        rules.append("[[rule]]" + text.split("[[rule]]", 1)[1])
    combined = "[networks]\n" + "".join(f"{k} = {v}\n" for k, v in networks.items()) + "\n".join(rules)
    merged = parse(combined, "combined")
    assert len(merged.rules) == len(CHECKS)


def test_the_example_at_the_top_and_the_error_line_are_true():
    text = DOC.read_text()
    example = re.search(r"## The file\n.*?```toml\n(.*?)```", text, flags=re.S).group(1)
    assert [rule.name for rule in parse(example).rules] == ["grafana api keys"]
    from tests.support.access import EXAMPLE
    from app.access.errors import AccessFileError

    with pytest.raises(AccessFileError) as caught:
        parse(EXAMPLE.replace('max_age = "15m"', 'max_age = "soon"'), "/var/lib/gatehouse/access.toml")
    assert f"gatehouse: GATEHOUSE_ACCESS_FILE: {caught.value}" in text
