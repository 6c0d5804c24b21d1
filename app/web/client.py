"""The client's address for this request: the peer, or the forwarded address a trusted proxy
vouches for (docs/security.md, "Client address"). Resolved once per request.

Imports no service, so the login limiter can use it without reaching into the web layer's
other parts.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, request

from app.security import client_ip as rules

log = logging.getLogger("gatehouse.access")
_WARNED = "gatehouse.client.warned"  # X-Forwarded-For from an untrusted peer: warn once per process


def init_app(app: Flask) -> None:
    app.extensions[_WARNED] = False


def notice_forwarded(environ: dict, _endpoint: str | None) -> None:
    """A request gate (app/edge/gates.py) that never refuses: resolve early when X-Forwarded-For
    arrives, so a misconfigured proxy is reported at once."""
    forwarded = environ.get("HTTP_X_FORWARDED_FOR")
    if forwarded is not None and not current_app.extensions[_WARNED]:
        _resolve(environ.get("REMOTE_ADDR"), [forwarded])


def client_ip() -> str | None:
    if "client_ip" not in g:
        g.client_ip = _resolve(request.remote_addr, request.headers.getlist("X-Forwarded-For"))
    return g.client_ip


def _resolve(peer: str | None, forwarded: list[str]) -> str | None:
    resolved = rules.resolve(peer, forwarded, current_app.config["GATEHOUSE_TRUSTED_PROXIES"])
    if resolved.ignored_forwarded and not current_app.extensions[_WARNED]:
        current_app.extensions[_WARNED] = True
        log.warning(
            "ignoring X-Forwarded-For from %s: not in GATEHOUSE_TRUSTED_PROXIES (warned once)", resolved.ip,
            extra={"event": "untrusted_forwarded_for", "client_ip": resolved.ip},
        )
    return resolved.ip
