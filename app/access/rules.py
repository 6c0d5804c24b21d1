"""Compiled rules: each criterion built once when the file is read, so a request only compares.

A criterion answers True, False, or None when the request cannot be read for it (an
ambiguous path, an unreadable host, an unknown method): app/access/decision.py then judges
the request by the strictest policy that could apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from app.access.hosts import Hosts
from app.access.networks import Networks
from app.access.paths import Glob, PathReading
from app.access.policies import SIGNED_IN
from app.security.client_ip import Address, Network


class Paths:
    """The `paths` criterion. Compared case-sensitively; a path whose case decides the answer
    (only a case-blind reading matches, or fails) cannot be read for it: tools such as Jellyfin
    (ASP.NET) serve /ADMIN as /admin."""

    def __init__(self, patterns: list[str]) -> None:
        self.exact = tuple(Glob(pattern) for pattern in patterns)
        self.folded = tuple(Glob(pattern, ignore_case=True) for pattern in patterns)
        self.lower = all(pattern == pattern.lower() for pattern in patterns)

    def match(self, path: PathReading) -> bool | None:
        if path.path is None:
            return None
        segments = path.segments
        exact = any(glob.match(segments) for glob in self.exact)
        if self.lower and path.lower:  # nothing for case to change: the case-blind reading is the same
            return exact
        return exact if exact == any(glob.match(segments) for glob in self.folded) else None


@dataclass(frozen=True, slots=True)
class Reading:
    """A request as the rules read it. `host`/`method` None: unreadable (ambiguous); `address`
    None: nobody vouches for it (in no network, not ambiguous)."""

    host: str | None
    path: PathReading
    method: str | None
    address: Address | None


@dataclass(frozen=True)
class Rule:
    name: str
    policy: str
    max_age: timedelta | None = None
    hosts: Hosts | None = None
    paths: Paths | None = None
    methods: frozenset[str] | None = None
    networks: Networks | None = None
    line: int = 0  # where it starts in the file, for messages

    def match(self, request: Reading) -> bool | None:
        """True/False, or None when an unreadable part of the request would decide."""
        unsure = False
        if self.hosts is not None:
            if request.host is None:
                unsure = True
            elif not self.hosts.match(request.host):
                return False
        if self.methods is not None:
            if request.method is None:
                unsure = True
            elif request.method not in self.methods:
                return False
        if self.networks is not None and not self.networks.match(request.address):
            return False
        if self.paths is not None:
            found = self.paths.match(request.path)
            if found is False:
                return False
            unsure = unsure or found is None
        return None if unsure else True


HOSTS_KEPT = 1024  # hosts whose candidate rules are kept (a request's host is the client's to choose)


@dataclass(frozen=True)
class Rules:
    """A whole rules file: `default`, the named networks, the rules in file order."""

    default: str = SIGNED_IN
    rules: tuple[Rule, ...] = ()
    networks: dict[str, tuple[Network, ...]] = field(default_factory=dict)
    source: str | None = None  # the file they came from; None: no file (every request needs a session)
    _by_host: dict[str, tuple[Rule, ...]] = field(default_factory=dict, compare=False, repr=False)

    def for_host(self, host: str | None) -> tuple[Rule, ...]:
        """The rules, in order, that a request to `host` can match: most rules name their tool's
        host, so a request meets a few of them, not the whole file. Worked out once per host and
        kept (at most HOSTS_KEPT hosts: beyond, the list starts afresh). None: every rule."""
        if host is None:
            return self.rules
        found = self._by_host.get(host)
        if found is None:
            if len(self._by_host) >= HOSTS_KEPT:
                self._by_host.clear()
            found = self._by_host[host] = tuple(r for r in self.rules if r.hosts is None or r.hosts.match(host))
        return found


NO_RULES = Rules()
