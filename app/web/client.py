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
    app.before_request(_notice_forwarded)


def _notice_forwarded() -> None:
    """Resolve early when X-Forwarded-For arrives, so a misconfigured proxy is reported at once."""
    if not current_app.extensions[_WARNED] and "X-Forwarded-For" in request.headers:
        client_ip()


def client_ip() -> str | None:
    if "client_ip" not in g:
        resolved = rules.resolve(
            request.remote_addr, request.headers.getlist("X-Forwarded-For"), current_app.config["GATEHOUSE_TRUSTED_PROXIES"]
        )
        if resolved.ignored_forwarded and not current_app.extensions[_WARNED]:
            current_app.extensions[_WARNED] = True
            log.warning(
                "ignoring X-Forwarded-For from %s: not in GATEHOUSE_TRUSTED_PROXIES (warned once)", resolved.ip,
                extra={"event": "untrusted_forwarded_for", "client_ip": resolved.ip},
            )
        g.client_ip = resolved.ip
    return g.client_ip
