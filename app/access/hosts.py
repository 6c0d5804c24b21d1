"""Host names as the rules see them, and the `hosts` criterion (exact names, `*.domain`).

A request's host is compared in lower case, without port and without a trailing dot, the
way proxies route by it. A host that is not a plain name or IP address (characters a proxy
would never route by, an empty label) has no reading: host criteria cannot decide it, and
the decision takes the strictest policy that could apply (app/access/decision.py).
"""

from __future__ import annotations

import ipaddress
import re

_LABEL = r"(?!-)[a-z0-9_-]{1,63}(?<!-)"
_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


def read_host(raw: str | None) -> str | None:
    """`Grafana.Example.org.:443` → `grafana.example.org`; `[::1]:8080` → `::1`; None when unreadable."""
    if not raw:
        return None
    text = raw.strip().lower()
    if text.startswith("["):
        inside, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not re.fullmatch(r":[0-9]{1,5}", rest)):
            return None
        return _ip(inside)
    name, colon, port = text.partition(":")
    if colon and not re.fullmatch(r"[0-9]{1,5}", port):
        return None
    name = name[:-1] if name.endswith(".") else name
    if len(name) > 253 or not _NAME.fullmatch(name):
        return None
    return name


def _ip(text: str) -> str | None:
    try:
        return str(ipaddress.IPv6Address(text))
    except ValueError:
        return None


def parse_host_pattern(pattern: str) -> tuple[str, bool]:
    """(name, is_wildcard) for `grafana.example.org`, `nas`, `192.168.1.10`, `[fd00::1]` or
    `*.example.org`. :raise ValueError: anything else."""
    fault = f"host {pattern!r} must be a lower-case name (grafana.example.org), *.domain or an address, without port"
    if not isinstance(pattern, str) or pattern != pattern.lower():
        raise ValueError(fault)
    wildcard = pattern.startswith("*.")
    body = pattern[2:] if wildcard else pattern
    bracketed = body.startswith("[") and body.endswith("]")
    name = read_host(body)
    if name is None or "*" in body or (":" in body and not bracketed) or (wildcard and bracketed):
        raise ValueError(fault)
    return name, wildcard


class Hosts:
    """The `hosts` criterion: exact names, and `*.domain` for any depth below the domain
    (`*.example.org` matches `a.example.org` and `a.b.example.org`, not `example.org`)."""

    def __init__(self, patterns: list[str]) -> None:
        exact, suffixes = set(), []
        for pattern in patterns:
            name, wildcard = parse_host_pattern(pattern)
            (suffixes.append("." + name) if wildcard else exact.add(name))
        self.exact = frozenset(exact)
        self.suffixes = tuple(suffixes)

    def match(self, host: str) -> bool:
        return host in self.exact or host.endswith(self.suffixes)
