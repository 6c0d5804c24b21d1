"""Forward-auth checks the access rules allow, answered before Flask's full dispatch.

A reverse proxy asks `/api/v1/auth/verify` once per request of every protected tool, and
Flask's full dispatch (request context, URL map, every app-wide hook, a response object)
costs more than the check itself (docs/performance.md). For a GET or HEAD of a path in
`FAST_ANSWERS` this WSGI wrapper runs what the full path runs for that view, with the same
code: the setup gate's `setup_done()`, the once-only warning about `X-Forwarded-For` from an
untrusted peer, and `session_in_environ` (the same token rules and session validation as
the view's `forward_session()`), then asks the access rules through the view's `forward.judge`.
When the request is allowed it sends the view's own answer (`allowed()`, with or without
Remote-User, made into a response once by Flask, then reused). The view's other hooks do
nothing for it: the login limiter only acts on guarded views, CSRF only on unsafe methods.

Everything else goes through Flask unchanged: every refusal (so a refusal, its headers and
its log line have one implementation), any other method or path, and any error here (Flask
then raises it again and answers as it always does). The security headers wrapper sits
outside this one, so both paths carry the same headers; tests/test_fast_path.py checks the
two answers are the same.
"""

from __future__ import annotations

import logging

from flask import Flask
from werkzeug.datastructures import EnvironHeaders

from app.access.decision import ALLOW
from app.api.views import FAST_ANSWERS, allowed
from app.web import forward
from app.web.client import notice_forwarded_in
from app.web.signed_in import session_in_environ
from app.web.setup_gate import setup_done

log = logging.getLogger("gatehouse.api")


class ForwardAuthFastPath:
    def __init__(self, app: Flask, wsgi_app, answers: dict[str, str]) -> None:
        self.app, self.wsgi_app, self.answers = app, wsgi_app, answers
        self.built: dict[tuple[str, bool], tuple[str, list[tuple[str, str]]]] = {}

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO")
        if path in self.answers and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            answer = self._answer(path, environ)
            if answer is not None:
                status, headers = answer
                start_response(status, list(headers))
                return []
        return self.wsgi_app(environ, start_response)

    def _answer(self, path: str, environ) -> tuple[str, list[tuple[str, str]]] | None:
        try:
            with self.app.app_context():
                if not setup_done():  # the gate's 503 comes from the full path
                    return None
                notice_forwarded_in(environ)
                reading, decision = forward.judge(EnvironHeaders(environ), environ.get("REMOTE_ADDR"),
                                                  session_in_environ(environ))
                if decision.outcome != ALLOW:  # every refusal, its headers and its log line: the full path
                    return None
                key = (path, decision.identified)
                if key not in self.built:
                    response = self.app.make_response(allowed(self.answers[path], decision.identified))
                    _body, status, headers = response.get_wsgi_response(environ)
                    self.built[key] = (status, list(headers))
                forward.count(reading, decision)
                return self.built[key]
        except Exception:  # the full path runs the same check again and reports the error its own way
            log.debug("fast path fell back to the full path", exc_info=True)
            return None


def install(app: Flask) -> None:
    """Wrap the app's WSGI callable; call before the security headers wrap it (app/__init__.py)."""
    app.wsgi_app = ForwardAuthFastPath(app, app.wsgi_app, FAST_ANSWERS)
