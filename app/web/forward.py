"""Request-side helpers of forward auth (docs/forward-auth.md, docs/access.md): the settings, read
once per app, the return-address policy of this request, and the access decision for a proxy's
question, which the view and its shortcut (app/api/fast_path.py) both take from `judge`. The
answer itself is app/security/forward_auth.py; the decision app/access/decision.py.
"""

from __future__ import annotations

import logging
from typing import Mapping

from flask import current_app, request

from app.access.decision import ALLOW, DENIED, TWO_FACTOR_REQUIRED, Decision, Session, decide
from app.access.proxied import read_request
from app.access.rules import Reading
from app.cache import CachedSession
from app.runtime import metrics
from app.security.forward_auth import Settings
from app.security.redirects import ReturnPolicy, host_of
from app.web import access

log = logging.getLogger("gatehouse.access")
_KEY = "gatehouse.forward_auth"
_COUNTERS = "gatehouse.forward_auth.counters"
DEFAULT_RULE = "(default)"  # the metric's rule label when no rule matched


def settings() -> Settings:
    found = current_app.extensions.get(_KEY)
    if found is None:
        found = current_app.extensions[_KEY] = Settings.from_config(current_app.config)
    return found


def return_policy() -> ReturnPolicy:
    """Where a sign-in may return to: the cookie domain, else the portal's (or this request's) host."""
    return settings().policy(host_of(request.host))


def judge(headers: Mapping[str, str], peer: str | None, session: CachedSession | None) -> tuple[Reading, Decision]:
    """The access decision for a proxy's question: the request as its headers describe it (`peer`:
    the socket's address, which decides whether X-Forwarded-For is believed) and the live
    `session` it presents, under the rules in force."""
    reading = read_request(headers, peer, current_app.config["GATEHOUSE_TRUSTED_PROXIES"])
    facts = Session(session.methods, session.authenticated_at) if session is not None else None
    return reading, decide(access.rules(), reading, facts)


def count(reading: Reading, decision: Decision) -> None:
    """Count an answer (gatehouse_verify_total, gatehouse_forward_auth_total) and log a refusal
    by a rule: `deny`, or a `two_factor` rule refusing a session without the second factor."""
    (metrics.VERIFY_ALLOWED if decision.outcome == ALLOW else metrics.VERIFY_DENIED).inc()
    counters = current_app.extensions.setdefault(_COUNTERS, {})
    key = (decision.rule or DEFAULT_RULE, decision.outcome)
    counter = counters.get(key)
    if counter is None:
        counter = counters[key] = metrics.FORWARD_AUTH.labels(rule=key[0], decision=key[1])
    counter.inc()
    if decision.outcome in (DENIED, TWO_FACTOR_REQUIRED):
        log.info("forward auth refused by %s (%s): %s %s%s", _rule(decision), decision.outcome, reading.method or "-",
                 reading.host or "-", reading.path.path or "(ambiguous path)",
                 extra={"event": "access_refused", "rule": decision.rule, "decision": decision.outcome,
                        "host": reading.host, "path": reading.path.path, "method": reading.method,
                        "client_ip": str(reading.address) if reading.address else None,
                        "ambiguous": decision.ambiguous})


def _rule(decision: Decision) -> str:
    return f"rule {decision.rule!r}" if decision.rule else "the default policy"
