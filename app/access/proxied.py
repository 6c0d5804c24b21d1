"""The request a proxy asks about, read from the headers it sends (docs/access.md, "What the
proxy must send"), as the rules see it.

- URL: `X-Original-URL` (the nginx subdomain example); `X-Forwarded-Host` with
  `X-Forwarded-Uri` (Caddy, Traefik); `Host` with `X-Original-URI` (the same-host nginx
  example). A proxy sets its own headers and passes the client's others on, so when two of
  them are present and disagree, a client has typed one: the host or path is then unreadable
  and the strictest policy that could apply decides. A header sent twice counts as a
  disagreement.
- Method: `X-Forwarded-Method` or `X-Original-Method` (the same rule if both are sent).
- Address: the browser's, from `X-Forwarded-For` when the peer is a trusted proxy
  (app/access/networks.py).

Pure: the forward-auth view passes Flask's headers, the shortcut a WSGI environ's.
"""

from __future__ import annotations

import re
from typing import Mapping, Sequence

from app.access.hosts import read_host
from app.access.networks import vouched_client
from app.access.paths import PathReading, read_path
from app.access.rules import Reading
from app.security.client_ip import Network

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)(.*)", re.DOTALL)
_CONFLICT = object()
_DISAGREE = PathReading(None, "the proxy's headers disagree")


def read_request(headers: Mapping[str, str], peer: str | None, trusted: Sequence[Network]) -> Reading:
    """The Reading of a forward-auth request: `headers` as received, `peer` the socket's address."""
    url_host, url_path = _from_url(_one(headers, "X-Original-URL"))
    forwarded_host = _first(_one(headers, "X-Forwarded-Host"))
    forwarded_uri, original_uri = _one(headers, "X-Forwarded-Uri"), _one(headers, "X-Original-URI")
    uri = _agree(forwarded_uri, original_uri)
    if url_host is not None or url_path is not None:
        host = _agree(url_host, forwarded_host)
        path = url_path if uri is None else _same_path(url_path, uri)
    else:
        # Each proxy's own pair: X-Forwarded-Host with X-Forwarded-Uri (Caddy, Traefik), Host with
        # X-Original-URI (the same-host nginx example). A lone X-Forwarded-Host beside
        # X-Original-URI is not nginx's: it must agree with Host.
        own_host = _one(headers, "Host")
        host = forwarded_host if forwarded_uri is not None else _agree(own_host, forwarded_host)
        if host is None:
            host = own_host
        path = read_path(uri) if isinstance(uri, str) else _DISAGREE if uri is _CONFLICT else read_path(None)
    method = _agree(_one(headers, "X-Forwarded-Method"), _one(headers, "X-Original-Method"))
    method = method.strip().upper() if isinstance(method, str) and re.fullmatch(r"\s*[A-Za-z]{1,20}\s*", method) else None
    forwarded = _all(headers, "X-Forwarded-For")
    return Reading(read_host(host) if isinstance(host, str) else None, path, method,
                   vouched_client(peer, forwarded, trusted))


def _all(headers: Mapping[str, str], name: str) -> list[str]:
    getlist = getattr(headers, "getlist", None)
    if getlist is not None:
        return list(getlist(name))
    value = headers.get(name)
    return [value] if value is not None else []


def _one(headers: Mapping[str, str], name: str):
    """The header's value; None when absent; _CONFLICT when sent more than once."""
    values = _all(headers, name)
    return values[0] if len(values) == 1 else (_CONFLICT if values else None)


def _first(value):
    """The first entry of a comma list (a chain of proxies may append); _CONFLICT stays."""
    return value.split(",", 1)[0].strip() if isinstance(value, str) else value


def _agree(one, other):
    """One value from two headers that may both carry it: _CONFLICT when they differ."""
    if one is None:
        return other
    if other is None or one == other:
        return one
    return _CONFLICT


def _from_url(value) -> tuple[object, PathReading | None]:
    if value is None:
        return None, None
    found = _URL.fullmatch(value) if isinstance(value, str) else None
    if found is None:
        return _CONFLICT, _DISAGREE
    authority, rest = found.groups()
    host = _CONFLICT if "@" in authority else authority
    return host, read_path(rest or "/")


def _same_path(from_url: PathReading | None, uri) -> PathReading:
    if not isinstance(uri, str):
        return _DISAGREE
    from_uri = read_path(uri)
    if from_url is None or from_url.path is None:
        return from_url or from_uri
    return from_url if from_uri.path == from_url.path else _DISAGREE
