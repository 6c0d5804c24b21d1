"""Forward-auth checks answered before Flask's dispatch, by the same checks and the same decision.

A reverse proxy asks `/api/v1/auth/verify` (or `/forward-auth`) once per request of every
protected tool, and Flask's full dispatch (request context, URL map, the hooks, a response
object) costs more than the check itself (docs/performance.md). For a GET or HEAD of those two
paths this WSGI wrapper, in an app context:

1. runs the request gates Flask would run for them (app/edge/gates.py `shortcut_gates`: the
   trusted host, serving, setup and forwarded-address checks, each the very function Flask's
   hook calls); a refusal goes to Flask, which refuses the one way;
2. takes the one forward-auth decision (app/web/forward.py `answer`: the access rules and the
   answer, which the views call too, on the same environ: the presented session is looked up
   once and shared);
3. sends an allowing answer as Flask would have built it (`forward.response_for`, built once
   per distinct answer and kept). A denial, any other method or path, and any error go to
   Flask, which answers as it always does (an error is raised again there and reported its way).

It does not install when the app has a request hook that acts on these requests and that it
cannot run (`shortcut_gates` raises EdgeError). tests/edge/test_parity.py sends one corpus with
the edge on and off and requires the same answers.
"""

from __future__ import annotations

import logging

from flask import Flask

from app.edge.gates import shortcut_gates, refusal_of
from app.bounded_cache import BoundedCache
from app.security.forward_auth import FORWARD_AUTH, VERIFY
from app.web import forward

log = logging.getLogger("gatehouse.edge")

METHODS = ("GET", "HEAD")
ENDPOINTS = {VERIFY: "api.verify", FORWARD_AUTH: "api.forward_auth_answer"}
MAX_ANSWERS = 64  # distinct allowing answers (header sets): a handful per rule set


class ForwardAuthShortcut:
    def __init__(self, app: Flask, wsgi_app) -> None:
        self.app, self.wsgi_app = app, wsgi_app
        rules = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
        self.endpoints = {rules[endpoint]: (decision, endpoint) for decision, endpoint in ENDPOINTS.items()}
        self.hooks = shortcut_gates(app, METHODS, ENDPOINTS.values())
        self.built = BoundedCache(MAX_ANSWERS)  # (status, headers) by the answer's status and headers

    def __call__(self, environ, start_response):
        found = self.endpoints.get(environ.get("PATH_INFO"))
        method = environ.get("REQUEST_METHOD")
        if found is not None and method in METHODS:
            answer = self._answer(environ, method, *found)
            if answer is not None:
                start_response(answer[0], list(answer[1]))
                return []
        return self.wsgi_app(environ, start_response)

    def _answer(self, environ, method: str, decision: str, endpoint: str):
        try:
            with self.app.app_context():
                if refusal_of(self.hooks, environ, method, endpoint) is not None:
                    return None
                decided = forward.answer(decision, environ)
                if decided.answer.status >= 300:
                    return None
                key = (decided.answer.status, tuple(sorted(decided.answer.headers.items())))
                built = self.built.get_or_make(key, lambda: self._build(decided.answer, environ))
                forward.count(decided)  # as the view counts (and, for a refusal, logs) what it sends
                return built
        except Exception:  # Flask runs the same checks again and reports the error its own way
            log.debug("the forward-auth shortcut left a request to Flask", exc_info=True)
            return None

    def _build(self, decided, environ):
        _body, status, headers = forward.response_for(decided).get_wsgi_response(environ)
        return status, tuple(headers)
