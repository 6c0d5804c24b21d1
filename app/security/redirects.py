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

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_LENGTH = 2048

# A DNS name as Gatehouse accepts it: lower-case LDH labels, at least two of them.
# (IDN hosts must be written in their xn-- form; IP literals and `localhost` are refused.)
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})+")
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
        host = host.lower()
        if self.cookie_domain:
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
    the authority); anything but a plain DNS name as host; a port that is not a number.
    """
    if _unsafe_characters(value):
        return False
    scheme, sep, rest = value.partition("://")
    if not sep or scheme.lower() not in policy.schemes():
        return False
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if not authority or "@" in authority or "%" in authority:
        return False
    host, colon, port = authority.partition(":")
    if colon and (not _PORT.fullmatch(port) or not 0 < int(port) < 65536):
        return False
    host = host.lower()
    if not is_domain_name(host) or not policy.host_allowed(host):
        return False
    parts = urlsplit(value)  # a second reading must agree with the first
    return parts.scheme == scheme.lower() and (parts.hostname or "") == host


def _unsafe_characters(value: str) -> bool:
    return "\\" in value or any(ch.isspace() or not ch.isprintable() for ch in value)
