"""The request a proxy asks about, read from the headers it sends (docs/access.md, "What the
proxy must send"), as the rules see it.

- URL: `X-Original-URL` (the nginx subdomain example); `X-Forwarded-Host` with
  `X-Forwarded-Uri` (Caddy, Traefik); `Host` with `X-Original-URI` (the same-host nginx
  example). A proxy sets its own headers and passes the client's others on, so when two of
  them are present and disagree, a client has typed one: the host or path is then unreadable
  and the strictest policy that could apply decides. A header sent twice reaches a WSGI app
  joined by a comma: an `X-Forwarded-Host` list whose entries differ is a disagreement too,
  but two `X-Forwarded-Uri` join into a path like any other, so a proxy must set (replace)
  the headers it sends, never add to the client's; the shipped examples do
  (docs/access.md, "What the proxy must send").
- Method: `X-Forwarded-Method` or `X-Original-Method` (the same rule if both are sent).
- Address: the browser's, from `X-Forwarded-For` when the peer is a trusted proxy
  (app/access/networks.py).

Pure, on a WSGI environ (the forward-auth views and the edge's shortcut share one), read by
key: the hot path of every proxied request passes here.
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
_METHOD = re.compile(r"\s*([A-Za-z]{1,20})\s*")
_CONFLICT = object()
_DISAGREE = PathReading(None, "the proxy's headers disagree")


def read_request(environ: Mapping[str, str], trusted: Sequence[Network]) -> Reading:
    """The Reading of a forward-auth request (`environ`: its WSGI environ)."""
    get = environ.get
    url_host, url_path = _from_url(get("HTTP_X_ORIGINAL_URL"))
    forwarded_host = _one_host(get("HTTP_X_FORWARDED_HOST"))
    forwarded_uri, original_uri = get("HTTP_X_FORWARDED_URI"), get("HTTP_X_ORIGINAL_URI")
    uri = _agree(forwarded_uri, original_uri)
    if url_host is not None or url_path is not None:
        host = _agree(url_host, forwarded_host)
        path = url_path if uri is None else _same_path(url_path, uri)
    else:
        # Each proxy's own pair: X-Forwarded-Host with X-Forwarded-Uri (Caddy, Traefik), Host with
        # X-Original-URI (the same-host nginx example). A lone X-Forwarded-Host beside
        # X-Original-URI is not nginx's: it must agree with Host.
        own_host = get("HTTP_HOST")
        host = forwarded_host if forwarded_uri is not None else _agree(own_host, forwarded_host)
        if host is None:
            host = own_host
        path = read_path(uri) if isinstance(uri, str) else _DISAGREE if uri is _CONFLICT else read_path(None)
    method = _agree(get("HTTP_X_FORWARDED_METHOD"), get("HTTP_X_ORIGINAL_METHOD"))
    found = _METHOD.fullmatch(method) if isinstance(method, str) else None
    forwarded = get("HTTP_X_FORWARDED_FOR")
    return Reading(read_host(host) if isinstance(host, str) else None, path, found.group(1).upper() if found else None,
                   vouched_client(get("REMOTE_ADDR"), [forwarded] if forwarded else [], trusted))


def _one_host(value: str | None):
    """X-Forwarded-Host: one host, or a list of the same one (a chain of proxies); else _CONFLICT."""
    if value is None or "," not in value:
        return value.strip() if value else value
    entries = {entry.strip().lower() for entry in value.split(",")}
    return entries.pop() if len(entries) == 1 else _CONFLICT


def _agree(one, other):
    """One value from two headers that may both carry it: _CONFLICT when they differ."""
    if one is None:
        return other
    if other is None or one == other:
        return one
    return _CONFLICT


def _from_url(value: str | None) -> tuple[object, PathReading | None]:
    if value is None:
        return None, None
    found = _URL.fullmatch(value)
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
