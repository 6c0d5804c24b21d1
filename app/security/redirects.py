"""Where a login may send the browser next: a path on this site, or a guarded tool's URL.

Two kinds of return address exist (docs/forward-auth.md, "Return addresses"):
- `next=/path`: a local path on the portal itself;
- `rd=https://tool.example.org/page`: an absolute URL on the cookie domain (or, without
  one, the portal's own host), used by forward auth for tools on other host names.

Everything else falls back to `/`. The checks are deliberately stricter than URL syntax:
browsers and Python's `urlsplit` disagree about backslashes, control characters, userinfo
and percent-escapes in host names, so any of those refuses the address instead of trying
to read it the way a browser would.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_LENGTH = 2048

# A DNS name as Gatehouse accepts it: lower-case LDH labels, at least two of them.
# (IDN hosts must be written in their xn-- form.) IP literals and one-label names (`nas`,
# `localhost`) are accepted only as the portal's own host, exactly (`ReturnPolicy.host_allowed`).
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})+")
_ONE_LABEL = re.compile(_LABEL)
_PORT = re.compile(r"[0-9]{1,5}")


def safe_next(value: str | None, default: str = "/") -> str:
    """`value` if it is a local path (`/x`, not `//x`, `/\\x`, a scheme or a host), else `default`.

    Control characters and whitespace are refused too: browsers drop tabs and newlines,
    which turns `/\\t/evil.example` into `//evil.example`.
    """
    if not value or len(value) > MAX_LENGTH or not value.startswith("/"):
        return default
    if value.startswith("//") or _unsafe_characters(value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def is_domain_name(value: str) -> bool:
    """True for a lower-case DNS name of two labels or more (`example.org`, `auth.example.org`)."""
    return len(value) <= 253 and _DOMAIN.fullmatch(value) is not None and not value.replace(".", "").isdigit()


@dataclass(frozen=True)
class ReturnPolicy:
    """Which absolute URLs a sign-in may return to.

    `cookie_domain` set: that domain and every subdomain of it. Otherwise only
    `portal_host` (the host of GATEHOUSE_PUBLIC_URL, else the request's own host).
    `allow_http`: plain http is accepted only while cookies are not Secure.
    """

    cookie_domain: str | None
    portal_host: str | None
    allow_http: bool = False

    def schemes(self) -> tuple[str, ...]:
        return ("https", "http") if self.allow_http else ("https",)

    def host_allowed(self, host: str) -> bool:
        """A DNS name on the cookie domain (or, without one, the portal's host); any other host
        (an IP address, a one-label LAN name) only when it is exactly the portal's host."""
        host = host.lower()
        if self.cookie_domain and is_domain_name(host):
            return host == self.cookie_domain or host.endswith("." + self.cookie_domain)
        return bool(self.portal_host) and host == self.portal_host.lower()

    def form_action_sources(self) -> tuple[str, ...]:
        """CSP `form-action` sources to add to 'self' for exactly these hosts (any port: cookies ignore ports).

        Without a cookie domain the only allowed host is the portal's own, which 'self' covers.
        """
        scheme = "http" if self.allow_http else "https"  # an http: source also matches https
        if self.cookie_domain:
            return (f"{scheme}://{self.cookie_domain}:*", f"{scheme}://*.{self.cookie_domain}:*")
        return ()


def safe_return(value: str | None, policy: ReturnPolicy, default: str = "/") -> str:
    """`value` if it is an absolute URL the policy allows, or a safe local path; else `default`."""
    if not value or len(value) > MAX_LENGTH:
        return default
    if value.startswith("/"):
        return safe_next(value, default)
    return value if is_allowed_url(value, policy) else default


def is_allowed_url(value: str, policy: ReturnPolicy) -> bool:
    """True when `value` is `scheme://host[:port]/...` with an allowed scheme and host.

    Refused: whitespace, control characters or backslashes anywhere; userinfo (`@` in
    the authority); a host that is not a plain DNS name, one-label name or canonical IP
    address; a port that is not a number.
    """
    if _unsafe_characters(value):
        return False
    scheme, sep, rest = value.partition("://")
    if not sep or scheme.lower() not in policy.schemes():
        return False
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if not authority or "@" in authority or "%" in authority:
        return False
    host, port = _host_and_port(authority.lower())
    if host is None or (port is not None and (not _PORT.fullmatch(port) or not 0 < int(port) < 65536)):
        return False
    if not policy.host_allowed(host):
        return False
    parts = urlsplit(value)  # a second reading must agree with the first
    return parts.scheme == scheme.lower() and (parts.hostname or "") == host


def _host_and_port(authority: str) -> tuple[str | None, str | None]:
    """(host, port or None) of `host[:port]` or `[v6][:port]`; host None unless it is a DNS name,
    a one-label name or an IP address written the one way browsers and Python agree on (an IPv4
    address in dotted decimal, an IPv6 address in its compressed form, both lower case)."""
    if authority.startswith("["):
        inside, bracket, rest = authority[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None, None
        return (inside if _canonical_ip(inside, 6) else None), (rest[1:] if rest else None)
    host, colon, port = authority.partition(":")
    port_or_none = port if colon else None
    if is_domain_name(host) or _ONE_LABEL.fullmatch(host) and not host.isdigit():
        return host, port_or_none
    return (host if _canonical_ip(host, 4) else None), port_or_none


def _canonical_ip(text: str, version: int) -> bool:
    """`text` is an address of that version in canonical form (no octal `010`, no `0x`, no `::ffff:1.2.3.4`
    spelled differently): what a browser would also read as that one address."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    return address.version == version and str(address) == text


def _unsafe_characters(value: str) -> bool:
    return "\\" in value or any(ch.isspace() or not ch.isprintable() for ch in value)


def host_of(netloc: str | None) -> str | None:
    """The lower-case host of a `Host` value (`nas:8000`, `[fd00::1]:8000`), without port or brackets."""
    if not netloc:
        return None
    netloc = netloc.strip().lower()
    if netloc.startswith("["):
        return netloc[1:].partition("]")[0] or None
    return netloc.partition(":")[0] or None
