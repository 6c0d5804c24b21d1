"""Who the client is: the rightmost-untrusted `X-Forwarded-For` algorithm.

No Flask here: `app.web.signed_in.client_ip()` feeds it the socket peer, every `X-Forwarded-For`
header and `GATEHOUSE_TRUSTED_PROXIES`. The leftmost entries are whatever the client typed,
so we walk from the right and stop at the first address that is not one of our proxies.
"""

from __future__ import annotations

import ipaddress
from typing import Iterable, NamedTuple, Sequence

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Resolved(NamedTuple):
    ip: str | None
    ignored_forwarded: bool  # an untrusted peer sent X-Forwarded-For (the caller warns once)


def parse_ip(text: str | None) -> Address | None:
    """An address from a header or peer value: strips `[ ]` and `:port`; IPv4-mapped IPv6 → IPv4."""
    if not text:
        return None
    text = text.strip()
    if text.startswith("["):  # "[2001:db8::1]:443" or "[2001:db8::1]"
        text, bracket, _port = text[1:].partition("]")
        if not bracket:
            return None
    elif text.count(":") == 1:  # "192.0.2.1:8080"
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted(address: Address | None, trusted: Sequence[Network]) -> bool:
    return address is not None and any(address.version == net.version and address in net for net in trusted)


def resolve(peer: str | None, forwarded: Iterable[str], trusted: Sequence[Network]) -> Resolved:
    """The client address. An empty peer (UNIX socket) counts as the local, trusted proxy."""
    hops = [hop.strip() for header in forwarded for hop in header.split(",") if hop.strip()]
    peer_address = parse_ip(peer)
    if peer and not is_trusted(peer_address, trusted):
        return Resolved(str(peer_address) if peer_address else peer, ignored_forwarded=bool(hops))
    fallback = str(peer_address) if peer_address else None
    for hop in reversed(hops):
        address = parse_ip(hop)
        if address is None:  # garbage in the chain: trust nothing left of it
            return Resolved(fallback, False)
        if not is_trusted(address, trusted):
            return Resolved(str(address), False)
    first = parse_ip(hops[0]) if hops else None
    return Resolved(str(first) if first else fallback, False)


def limit_key(ip: str | None) -> str:
    """The rate-limit key for an address: IPv4 as is, IPv6 by its /64 (one subscriber's block)."""
    address = parse_ip(ip)
    if address is None:
        return "unknown"
    if address.version == 6:
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
