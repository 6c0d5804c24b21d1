"""The `networks` criterion: names from `[networks]` or CIDRs, `!` negating; and the client
address it is matched with, which only a trusted proxy can vouch for (docs/access.md).

Addresses and networks are the standard library's `ipaddress` objects.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Iterable, Mapping, Sequence

from app.security.client_ip import Address, Network, is_trusted, parse_ip

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")


def parse_network(text: str) -> Network:
    """`192.168.1.0/24`, `fd00::/8` or one address. :raise ValueError: with what is wrong."""
    if not isinstance(text, str):
        raise ValueError(f"network {text!r} must be a string like \"192.168.1.0/24\"")
    try:
        return ipaddress.ip_network(text.strip())
    except ValueError:
        pass
    try:
        loose = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise ValueError(f"{text!r} is not a network (like 192.168.1.0/24 or fd00::/8) "
                         "nor a name from [networks]") from None
    raise ValueError(f"network {text!r} has host bits set: did you mean {loose}?")


def parse_named(named: Mapping[str, Sequence[str]]) -> dict[str, tuple[Network, ...]]:
    """The `[networks]` table: name → its networks. :raise ValueError: prefixed with the name."""
    parsed = {}
    for name, entries in named.items():
        if not NAME.fullmatch(name):
            raise ValueError(f"network name {name!r} must be letters, digits, - or _, starting with a letter")
        if isinstance(entries, str):
            entries = [entries]
        if not isinstance(entries, list) or not entries:
            raise ValueError(f"network {name!r} must be a list of CIDRs like [\"192.168.1.0/24\"]")
        parsed[name] = tuple(parse_network(entry) for entry in entries)
    return parsed


class Networks:
    """Matches when the address is in one of the plain entries (or there are none) and in none of
    the `!` entries. An address nobody vouches for (None) is in no network: a plain entry never
    matches it, a `!` entry always does (docs/access.md, "Networks")."""

    def __init__(self, entries: Iterable[str], named: Mapping[str, tuple[Network, ...]]) -> None:
        inside: list[Network] = []
        outside: list[Network] = []
        for entry in entries:
            if not isinstance(entry, str) or not entry.strip("! "):
                raise ValueError(f"network {entry!r} must be a name from [networks] or a CIDR, ! to negate")
            negated = entry.startswith("!")
            text = entry[1:].strip() if negated else entry.strip()
            found = named.get(text) or (parse_network(text),)
            (outside if negated else inside).extend(found)
        self.inside, self.outside = tuple(inside), tuple(outside)

    def match(self, address: Address | None) -> bool:
        if address is None:
            return not self.inside
        if self.inside and not _within(address, self.inside):
            return False
        return not _within(address, self.outside)


def _within(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def vouched_client(peer: str | None, forwarded: Iterable[str], trusted: Sequence[Network]) -> Address | None:
    """The browser's address as a trusted proxy reports it in `X-Forwarded-For`, else None.

    None when the peer is not a trusted proxy (anyone could have typed the header) and when a
    trusted proxy sent no `X-Forwarded-For` (its own address would otherwise stand in for the
    browser's, and a proxy on the LAN would make everyone look at home). An empty peer is a
    UNIX socket: the local proxy, trusted, as for the login limiter (app/security/client_ip.py).
    """
    hops = [hop.strip() for header in forwarded for hop in header.split(",") if hop.strip()]
    if not hops or (peer and not is_trusted(parse_ip(peer), trusted)):
        return None
    # Rightmost first, as app/security/client_ip.py's resolve, but garbage in the chain
    # vouches for nobody (resolve falls back to the peer: right for the limiter, not here).
    for hop in reversed(hops):
        address = parse_ip(hop)
        if address is None:
            return None
        if not is_trusted(address, trusted):
            return address
    return parse_ip(hops[0])
