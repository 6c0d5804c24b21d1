"""Sign-in attempts refused before they reach a thread, when the app would only refuse them.

In a wrong-password flood nearly every guess is refused: with 503 while the check slots an
untrusted client may use are taken (app/ratelimit/slots.py), with 429 once its address is
blocked or the global budget is spent. Refusing costs the app gunicorn's parsing, Flask's
dispatch, the CSRF check, queries and an error page, a thread and the interpreter for a
millisecond or more, and a closed-loop attacker sends the next guess at once: the
forward-auth checks every protected tool depends on got 8% of their quiet throughput
(docs/performance.md). The worker (app/edge/worker.py) already holds each request whole
before a thread runs it, so it asks `EarlyRefusal` first (app/edge/early.py), and the same
refusal goes out from its main loop, held a second (the worker's `EARLY_HOLD`).

Only a POST to a guarded view without a validly signed device cookie is looked at, and only
what the app would refuse is refused: 503 while no untrusted slot is free; and while
guesses are being refused in numbers (`LoginLimiter.verdict`: a flood, not a person retrying
too soon, who gets the sign-in form from the app), the limiter's own verdict for the
client's address, asked as the app asks it, and answered here when it is a 429 (an address
the admin unblocked passes, as in the app). The request is read by the worker's one reader
(h11, app/edge/http_reader.py), so this answer never parses HTTP itself. Everything else
(chunked, pipelined, HTTP/1.0, `Connection: close`, a path with a mount prefix) goes on to
the app, which decides as before. (h11 accepts a bare LF as a line end, RFC 9112 §2.2, where
gunicorn answers 400: such a guess gets the 503 or 429 instead, refused either way.) The answer is the
app's own error page or JSON for that status, rendered once per route and wait; unlike the
app's, a refused form does not come back filled in (its button opens a fresh sign-in form).
Such refusals write no access line (a flood would fill the journal): they are counted as in
the app (gatehouse_logins_total{result="busy"} or {result="blocked"} and the sign-in
activity), and the 503s summed up in one log line a minute.
"""

from __future__ import annotations

import logging
import time
from email.utils import formatdate
from typing import NamedTuple

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, ServiceUnavailable
from werkzeug.sansio.http import parse_cookie
from werkzeug.test import EnvironBuilder

from app.bounded_cache import BoundedCache
from app.edge.headers import SecurityHeaders
from app.edge.http_reader import Reader
from app.ratelimit.extension import LoginLimiter, guard_of, too_many
from app.ratelimit.slots import ChecksBusy
from app.runtime import metrics
from app.security.client_ip import resolve
from app.web import cookies
from app.web.errors import render_error

log = logging.getLogger("gatehouse.ratelimit")

MAX_ANSWERS = 64  # rendered answers kept: a 503 per route, 429s per route and wait
LOG_EVERY = 60.0  # seconds between the summary lines while attempts are being refused


class EarlyRefusal:
    """The early answer (app/edge/early.py): the whole HTTP response for a refused attempt, or None."""

    def __init__(self, app: Flask, headers: SecurityHeaders) -> None:
        self.app, self.headers = app, headers
        self.state = app.extensions["gatehouse.limiter"]
        self.device_cookie = cookies.device_name(app.config["GATEHOUSE_COOKIE_SECURE"])
        self.paths = {rule.rule for rule in app.url_map.iter_rules()
                      if "POST" in (rule.methods or ()) and not rule.arguments
                      and guard_of(app.view_functions.get(rule.endpoint)) is not None}
        self.answers = BoundedCache(MAX_ANSWERS)  # (path, status, Retry-After) -> (head without Date, body)
        self.date = (0, b"")  # (second, Date header line)
        self.refused = 0  # since the last summary line (only the worker's main loop counts)
        self.logged_at = time.monotonic()

    def __call__(self, request: Reader, peer=None) -> bytes | None:
        """`request`: a whole request as the worker read it (app/edge/http_reader.py); `peer`: the
        connection's address as gunicorn gives it (REMOTE_ADDR is made from it)."""
        head = request.head
        if head is None or head.method != b"POST" or head.http_version != b"1.1" or not request.complete:
            return None
        path = head.target.decode("latin-1").split("?", 1)[0]
        if path not in self.paths:
            return None
        busy = self.state.slots.untrusted_refused()
        if not busy and time.monotonic() >= self.state.refusing_until:
            return None
        sent = self._headers(request)
        if sent is None or request.after:  # exactly one request (nothing pipelined behind it)
            return None
        if sent.cookies and self._has_device(sent.cookies):
            return None
        if not busy:
            return self._judged(path, peer, sent)
        metrics.LOGIN_BUSY.inc()
        self._count()
        return self._answer(path, ChecksBusy())

    def _judged(self, path: str, peer, sent: "_Sent") -> bytes | None:
        """While guesses are being refused: the limiter's own verdict (`LoginLimiter.verdict`, as
        the app asks it), answered here when it is a 429, else left to the app."""
        address = peer[0] if isinstance(peer, tuple) else peer.decode() if isinstance(peer, bytes) else peer
        ip = resolve(address, sent.forwarded, self.app.config["GATEHOUSE_TRUSTED_PROXIES"]).ip
        with self.app.app_context():
            try:
                attempt, wait = LoginLimiter.verdict(self.state, ip, None, sent.user_agent)
            except (ServiceUnavailable, SQLAlchemyError):  # a store is away: the app answers its 503
                return None
            if not wait:
                self.state.limits.release(attempt)  # the app judges it again, and reserves then
                return None
        return self._answer(path, too_many(wait))

    @staticmethod
    def _headers(request: Reader) -> "_Sent | None":
        """What the early answer needs from the headers (h11 has checked their form and framed the
        body), or None for a request this answer leaves to the app."""
        cookie_values, forwarded, user_agent = [], [], None
        for name, value in request.head.headers:
            if name == b"transfer-encoding" or (name == b"connection" and b"close" in value.lower()):
                return None
            if name == b"cookie":
                cookie_values.append(value.decode("latin-1"))
            elif name == b"x-forwarded-for":
                forwarded.append(value.decode("latin-1"))
            elif name == b"user-agent":
                user_agent = value.decode("latin-1")
        return _Sent(cookie_values, forwarded, user_agent)

    def _has_device(self, cookie_values: list[str]) -> bool:
        if not any(self.device_cookie in v for v in cookie_values):  # the usual case, without parsing
            return False
        value = parse_cookie("; ".join(cookie_values)).get(self.device_cookie)
        return bool(value) and self.state.cookies.signed(value)

    def _count(self) -> None:
        self.refused += 1
        now = time.monotonic()
        if now - self.logged_at < LOG_EVERY:
            return
        count, self.refused, self.logged_at = self.refused, 0, now
        log.warning("refused %d sign-in attempts unchecked in the last %d s: every check slot for clients "
                    "without a trusted device was busy", count, LOG_EVERY,
                    extra={"event": "login_busy", "count": count})

    def _answer(self, path: str, error: HTTPException) -> bytes:
        key = (path, error.code, getattr(error, "retry_after", None))
        head, body = self.answers.get_or_make(key, lambda: self._render(path, error))
        return head + self._date() + body

    def _date(self) -> bytes:
        """The Date header and the blank line after it, made once a second."""
        now = int(time.time())
        if self.date[0] != now:
            self.date = (now, b"Date: " + formatdate(now, usegmt=True).encode() + b"\r\n\r\n")
        return self.date[1]

    def _render(self, path: str, error: HTTPException) -> tuple[bytes, bytes]:
        """The app's own answer to `error` at `path` (error page or JSON), with the headers every answer gets."""
        with self.app.test_request_context(path, method="POST"):
            response = self.app.make_response(render_error(error))
        body, status, sent = response.get_wsgi_response(EnvironBuilder(path=path, method="POST").get_environ())
        body = b"".join(body)
        sent = self.headers.apply(list(sent))
        head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in sent)
        return head.encode("latin-1"), body


class _Sent(NamedTuple):
    cookies: list[str]
    forwarded: list[str]  # X-Forwarded-For values, as werkzeug's getlist gives them
    user_agent: str | None
