"""Forward auth on a request (docs/forward-auth.md, docs/access.md): the settings, read once per
app, the return-address policy of this request, and `answer`, the one decision both forward-auth
endpoints and the edge's shortcut (app/edge/forward_auth.py) take, on the WSGI environ they
share: the access rules decide (`judge`, app/access/decision.py), app/security/forward_auth.py
writes the answer. `count` counts and logs each answer where it is sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Response, current_app, jsonify, render_template, request
from werkzeug.datastructures import EnvironHeaders

from app.access.decision import ALLOW, DENIED, TWO_FACTOR_REQUIRED, Decision, Session, decide
from app.access.proxied import read_request
from app.access.rules import Reading
from app.cache import CachedSession
from app.runtime import metrics
from app.security import forward_auth
from app.security.forward_auth import Answer, Refusal, Settings
from app.security.redirects import ReturnPolicy, host_of
from app.web import access, signed_in

log = logging.getLogger("gatehouse.access")
_KEY = "gatehouse.forward_auth"
_COUNTERS = "gatehouse.forward_auth.counters"
DEFAULT_RULE = "(default)"  # the metric's rule label when no rule matched


def settings() -> Settings:
    app = current_app._get_current_object()  # one proxy hop: docs/performance.md
    found = app.extensions.get(_KEY)
    if found is None:
        found = app.extensions[_KEY] = Settings.from_config(app.config)
    return found


def return_policy() -> ReturnPolicy:
    """Where a sign-in may return to: the cookie domain, else the portal's (or this request's) host."""
    return settings().policy(host_of(request._get_current_object().host))


@dataclass(frozen=True)
class Decided:
    """A proxy's question answered: the answer, and what it was decided on (for `count`)."""

    answer: Answer
    reading: Reading
    decision: Decision


def judge(environ: dict, session: CachedSession | None) -> tuple[Reading, Decision]:
    """The access decision for a proxy's question: the request as its headers describe it (the
    peer decides whether X-Forwarded-For is believed) and the live `session` it presents, under
    the rules in force."""
    reading = read_request(environ, current_app.config["GATEHOUSE_TRUSTED_PROXIES"])
    facts = Session(session.methods, session.authenticated_at) if session is not None else None
    return reading, decide(access.rules(), reading, facts)


def answer(endpoint: str, environ: dict) -> Decided:
    """The proxy's question about this request, answered (`endpoint`: VERIFY or FORWARD_AUTH)."""
    session, presented = signed_in.forward_session_of(environ)
    reading, decision = judge(environ, session)
    found = forward_auth.decide(endpoint, decision.outcome, EnvironHeaders(environ), settings(),
                                scheme=environ.get("wsgi.url_scheme", "http"), credential_sent=presented,
                                identified=decision.identified)
    return Decided(found, reading, decision)


def count(decided: Decided) -> None:
    """Count an answer that is sent (gatehouse_verify_total, gatehouse_forward_auth_total) and log a
    refusal by a rule: `deny`, or a `two_factor` rule refusing a session without the second factor."""
    decision, reading = decided.decision, decided.reading
    (metrics.VERIFY_ALLOWED if decision.outcome == ALLOW else metrics.VERIFY_DENIED).inc()
    counters = current_app.extensions.setdefault(_COUNTERS, {})
    key = (decision.rule or DEFAULT_RULE, decision.outcome)
    counter = counters.get(key)
    if counter is None:
        counter = counters[key] = metrics.FORWARD_AUTH.labels(rule=key[0], decision=key[1])
    counter.inc()
    if decision.outcome in (DENIED, TWO_FACTOR_REQUIRED):
        log.info("forward auth refused by %s (%s): %s %s%s", _rule(decision), decision.outcome, reading.method or "-",
                 reading.host or "-", reading.path.path or " (an ambiguous path)",
                 extra={"event": "access_refused", "rule": decision.rule, "decision": decision.outcome,
                        "host": reading.host, "path": reading.path.path, "method": reading.method,
                        "client_ip": str(reading.address) if reading.address else None,
                        "ambiguous": decision.ambiguous})


def _rule(decision: Decision) -> str:
    return f"rule {decision.rule!r}" if decision.rule else "the default policy"


def response_for(decided: Answer) -> Response:
    """The answer as a response (an app context is enough: the edge builds one once and reuses it)."""
    if decided.page is not None:
        response = _refused_page(decided.page)
    elif decided.body is not None:
        response = jsonify(decided.body)
    else:
        response = current_app.response_class(status=decided.status)
        response.headers.pop("Content-Type", None)
    response.status_code = decided.status
    response.headers.update(decided.headers)
    return response


def _refused_page(refusal: Refusal) -> Response:
    """The 403 page a browser sees on the tool's own host: its stylesheet and links are the
    portal's, so its CSP names the portal's origin (the headers wrapper keeps a view's own CSP)."""
    response = current_app.response_class(render_template("access/refused.html", refusal=refusal))
    origin = refusal.portal or "'self'"
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src {origin}; img-src {origin}; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'none'")
    return response
