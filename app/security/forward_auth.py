"""The forward-auth answer for a reverse proxy, as a pure function of (the access rules' outcome,
request headers).

Two endpoints share it (docs/forward-auth.md):
- `verify` (nginx `auth_request`, which only accepts 2xx and 401/403 and cannot build a
  URL itself): 204, or 401 with `Location` = the absolute login URL carrying `rd`;
- `forward-auth` (Traefik ForwardAuth, Caddy `forward_auth`, which pass a non-2xx answer
  straight to the browser): 200, or a redirect to the login page for a page load and a
  401 JSON answer for everything else (XHR, scripts), which cannot use a login page.

What the request needs comes from the access rules (app/access/decision.py): allowed (with
Remote-User when a live session was presented), a sign-in, a fresher sign-in (the login
with `reauth=1`), or 403 (`deny`, or a `two_factor` rule and a session without one).

No Flask here: app/web/forward.py calls `decide` with a WSGI environ's headers, for the views and
the edge's shortcut alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping
from urllib.parse import urlencode, urlsplit

from app.access.decision import ALLOW, DENIED, REAUTHENTICATE, SIGN_IN, TWO_FACTOR_REQUIRED
from app.security.redirects import ReturnPolicy, host_of, safe_next, safe_return

VERIFY, FORWARD_AUTH = "verify", "forward-auth"
UNAUTHORIZED = {"error": "unauthorized", "message": "No valid session."}
REAUTHENTICATE_BODY = {"error": "reauthentication_required",
                       "message": "This tool asks for a recent sign-in: sign in again."}
# The forward-auth answer's status for each outcome of the access rules, for a script (a page
# load is redirected instead of 401; nginx's verify answers 204 for 200).
STATUS = {ALLOW: 200, SIGN_IN: 401, REAUTHENTICATE: 401, TWO_FACTOR_REQUIRED: 403, DENIED: 403}
# A DNS host name (labels of 1-63 letters, digits or inner hyphens; one label is a LAN name,
# four of digits an IPv4 address) or a bracketed IPv6 address, with an optional port: a
# forwarded host that is not one never reaches a Location header (Werkzeug cannot encode it).
_HOST = re.compile(r"((?=[^:]{1,253}(:|$))(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?"
                   r"|\[[0-9A-Fa-f:.]{2,45}\])(:[0-9]{1,5})?")


@dataclass(frozen=True)
class Settings:
    """What the answer depends on besides the request: the GATEHOUSE_* forward-auth settings."""

    public_url: str  # "" or scheme://host[:port]
    cookie_domain: str  # "" or example.org
    remote_user: str
    cookies_secure: bool

    @classmethod
    def from_config(cls, config: Mapping) -> "Settings":
        return cls(config["GATEHOUSE_PUBLIC_URL"], config["GATEHOUSE_COOKIE_DOMAIN"],
                   config["GATEHOUSE_REMOTE_USER"], config["GATEHOUSE_COOKIE_SECURE"])

    def policy(self, request_host: str | None) -> ReturnPolicy:
        """Allowed return hosts; `request_host` (without port) stands in for a missing PUBLIC_URL."""
        portal = urlsplit(self.public_url).hostname if self.public_url else request_host
        return ReturnPolicy(self.cookie_domain or None, portal or None, allow_http=not self.cookies_secure)


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict | None = None
    page: Refusal | None = None  # a page load refused with 403: the view renders this page


@dataclass(frozen=True)
class Refusal:
    """What the 403 page says (templates/access/refused.html): `outcome` is DENIED or
    TWO_FACTOR_REQUIRED; the links are absolute, since the page is shown on the tool's host."""

    outcome: str
    portal: str
    two_factor_url: str
    sign_in_url: str


def decide(endpoint: str, outcome: str, headers: Mapping[str, str], settings: Settings, scheme: str = "http",
           credential_sent: bool = False, identified: bool = True) -> Answer:
    """The whole answer for the access rules' `outcome` (app/access/decision.py).

    `headers` are the request's headers as the proxy sent them (any case-insensitive mapping),
    `scheme` the scheme the proxy used to reach Gatehouse (a fallback for X-Forwarded-Proto).
    `identified`: an allowed request presented a live session (a `bypass` may have none),
    so the answer names the user in Remote-User. `credential_sent`: a Gatehouse credential was
    presented but is not live (the 401 then says `invalid_token`).
    """
    if outcome == ALLOW:
        return Answer(204 if endpoint == VERIFY else 200, {"Remote-User": settings.remote_user} if identified else {})
    if outcome in (DENIED, TWO_FACTOR_REQUIRED):
        return _forbidden(endpoint, outcome, headers, settings, scheme)
    reauth = outcome == REAUTHENTICATE
    challenge = 'Bearer realm="gatehouse"' + (', error="invalid_token"' if credential_sent or reauth else "")
    denied = {"WWW-Authenticate": challenge}
    body = REAUTHENTICATE_BODY if reauth else UNAUTHORIZED
    login = login_url(original_url(headers, scheme), headers, scheme, settings, reauth=reauth)
    if endpoint == VERIFY:
        denied["Location"] = login
        # nginx cannot URL-encode a query itself: the same-host example redirects here.
        uri = headers.get("X-Forwarded-Uri") or headers.get("X-Original-URI")
        local = {"next": safe_next(uri), **({"reauth": "1"} if reauth else {})}
        denied["X-Gatehouse-Login"] = "/login?" + urlencode(local)
        return Answer(401, denied, body)
    if is_page_load(headers):
        method = (headers.get("X-Forwarded-Method") or "GET").upper()
        return Answer(302 if method in ("GET", "HEAD") else 303, {"Location": login})
    return Answer(401, denied, body)


def _forbidden(endpoint: str, outcome: str, headers: Mapping[str, str], settings: Settings, scheme: str) -> Answer:
    """403 for `deny` and for a session without the second factor a `two_factor` rule asks for:
    JSON for scripts, a page for a page load on forward-auth (nginx shows its own 403 page for
    verify's, unless its example asks forward-auth for this page: deploy/nginx/)."""
    portal = settings.public_url or _request_origin(headers, scheme)
    refusal = Refusal(outcome, portal, f"{portal}/two-factor",
                      login_url(original_url(headers, scheme), headers, scheme, settings, reauth=True))
    if outcome == DENIED:
        body = {"error": "forbidden", "message": "An access rule closes this address."}
    else:
        body = {"error": "two_factor_required",
                "message": f"This tool needs two-factor sign-in. Turn it on at {refusal.two_factor_url}, "
                           "then sign in again with your code.",
                "two_factor_url": refusal.two_factor_url, "sign_in_url": refusal.sign_in_url}
    if endpoint == FORWARD_AUTH and is_page_load(headers):
        return Answer(403, {}, None, refusal)
    return Answer(403, {}, body)


def is_page_load(headers: Mapping[str, str]) -> bool:
    """A browser navigation: Accept names text/html and it is not an XHR."""
    xhr = (headers.get("X-Requested-With") or "").strip().lower() == "xmlhttprequest"
    return not xhr and "text/html" in (headers.get("Accept") or "").lower()


def original_url(headers: Mapping[str, str], scheme: str) -> str | None:
    """The URL the browser asked the proxy for, or None when the proxy did not say.

    From `X-Original-URL`, else `X-Forwarded-Proto` + `X-Forwarded-Host` + `X-Forwarded-Uri`
    (or `X-Original-URI`), with this request's scheme and Host filling a missing part.
    """
    full = headers.get("X-Original-URL")
    if full:
        return full
    uri = headers.get("X-Forwarded-Uri") or headers.get("X-Original-URI")
    base = _request_origin(headers, scheme)
    return f"{base}{uri}" if base and uri and uri.startswith("/") else None


def login_url(original: str | None, headers: Mapping[str, str], scheme: str, settings: Settings,
              reauth: bool = False) -> str:
    """`<portal>/login?rd=<original>`: the portal is PUBLIC_URL, else the host the proxy was asked for.

    `rd` is left out unless `original` is an allowed return address, so the answer never
    names a host outside the allowed set (docs/forward-auth.md). `reauth`: the session is
    live but the rule asks for a fresher sign-in (`&reauth=1`: the form asks again).
    """
    portal = settings.public_url or _request_origin(headers, scheme)
    policy = settings.policy(host_of(urlsplit(portal).netloc) if portal else None)
    rd = safe_return(original, policy, default="") if original else ""
    query = {"rd": rd} if rd and not rd.startswith("/") else {}
    if reauth:
        query["reauth"] = "1"
    return f"{portal}/login" + ("?" + urlencode(query) if query else "")


def _request_origin(headers: Mapping[str, str], scheme: str) -> str:
    """`proto://host[:port]` of the proxied request, or "" when its parts look wrong."""
    proto = _first(headers.get("X-Forwarded-Proto")) or scheme
    host = _first(headers.get("X-Forwarded-Host")) or headers.get("Host") or ""
    return f"{proto}://{host}" if proto in ("http", "https") and _HOST.fullmatch(host) else ""


def _first(value: str | None) -> str:
    """The first of a comma list (a proxy chain may append), stripped."""
    return (value or "").split(",", 1)[0].strip()
