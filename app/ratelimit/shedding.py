"""Sign-in attempts refused before they reach a thread, while no check slot is free for them.

In a wrong-password flood the check slots an untrusted client may use are always taken
(app/ratelimit/slots.py), so the app refuses almost every guess with 503. Refusing costs it
gunicorn's parsing, Flask's dispatch, the CSRF check, two queries and an error page, a
thread and the interpreter for a millisecond or more, and a closed-loop attacker sends the
next guess at once: the forward-auth checks every protected tool depends on got 8% of their
quiet throughput (docs/performance.md). The worker (app/runtime/read_deadline.py) already
holds each request whole before a thread runs it, so it asks `EarlyRefusal` first, and the
same 503 goes out from its main loop for tens of microseconds.

Only what the app would refuse anyway is refused here: a POST to a guarded view, while an
untrusted check would find no slot, without a validly signed device cookie. Everything else,
and anything this parser is not sure of (chunked, pipelined, HTTP/1.0, `Connection: close`,
a path with a mount prefix), goes on to the app, which decides as before. The answer is the
app's own error page or JSON for that 503, rendered once, with Retry-After: 1; unlike the
app's, a refused form does not come back filled in (its link leads to a fresh sign-in form).
Such refusals write no access line (a flood would fill the journal): they are counted in
gatehouse_logins_total{result="busy"} and summed up in one log line a minute.
"""

from __future__ import annotations

import logging
import re
import time
from email.utils import formatdate

from flask import Flask
from werkzeug.http import parse_cookie
from werkzeug.test import EnvironBuilder

from app.ratelimit.extension import guard_of
from app.ratelimit.slots import ChecksBusy
from app.runtime import metrics
from app.web import cookies, headers
from app.web.errors import render_error

log = logging.getLogger("gatehouse.ratelimit")

LOG_EVERY = 60.0  # seconds between the summary lines while attempts are being refused
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # a header name (RFC 9110 token)


class EarlyRefusal:
    """`answer_early(request bytes)`: the whole HTTP response for a refused attempt, or None."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.state = app.extensions["gatehouse.limiter"]
        self.device_cookie = cookies.device_name(app.config["GATEHOUSE_COOKIE_SECURE"])
        self.paths = {rule.rule for rule in app.url_map.iter_rules()
                      if "POST" in (rule.methods or ()) and not rule.arguments
                      and guard_of(app.view_functions.get(rule.endpoint)) is not None}
        self.answers: dict[str, tuple[bytes, bytes]] = {}  # path -> (head without Date, body)
        self.date = (0, b"")  # (second, Date header line)
        self.refused = 0  # since the last summary line (only the worker's main loop counts)
        self.logged_at = time.monotonic()

    def __call__(self, data: bytes) -> bytes | None:
        if not data.startswith(b"POST "):
            return None
        end = data.find(b"\r\n\r\n")
        if end < 0:
            return None
        lines = data[:end].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or parts[2] != "HTTP/1.1":
            return None
        path = parts[1].split("?", 1)[0]
        if path not in self.paths or not self.state.slots.untrusted_refused():
            return None
        sent = self._headers(lines[1:])
        if sent is None or len(data) != end + 4 + sent[0]:  # exactly one request, its body whole
            return None
        if sent[1] and self._has_device(sent[1]):
            return None
        metrics.LOGIN_BUSY.inc()
        self._count()
        return self._answer(path)

    def _headers(self, lines: list[str]) -> tuple[int, list[str]] | None:
        """(Content-Length, Cookie values), or None for anything this parser leaves to the app."""
        length, cookie_values = None, []
        for line in lines:
            name, colon, value = line.partition(":")
            if not colon or not _TOKEN.fullmatch(name):  # gunicorn would refuse it: leave that to gunicorn
                return None
            name, value = name.lower(), value.strip()
            if name == "transfer-encoding" or (name == "connection" and "close" in value.lower()):
                return None
            if name == "content-length":
                if not value.isdigit() or (length is not None and int(value) != length):
                    return None
                length = int(value)
            elif name == "cookie":
                cookie_values.append(value)
        return length or 0, cookie_values

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

    def _answer(self, path: str) -> bytes:
        if path not in self.answers:
            self.answers[path] = self._render(path)
        head, body = self.answers[path]
        return head + self._date() + body

    def _date(self) -> bytes:
        """The Date header and the blank line after it, made once a second."""
        now = int(time.time())
        if self.date[0] != now:
            self.date = (now, b"Date: " + formatdate(now, usegmt=True).encode() + b"\r\n\r\n")
        return self.date[1]

    def _render(self, path: str) -> tuple[bytes, bytes]:
        """The app's own 503 for `path` (error page or JSON), with the headers every answer gets."""
        with self.app.test_request_context(path, method="POST"):
            response = self.app.make_response(render_error(ChecksBusy()))
        environ = EnvironBuilder(path=path, method="POST").get_environ()
        body = b"".join(response(environ, lambda status, sent, exc_info=None: None))
        sent = headers.of(self.app).apply(list(response.headers.items()))
        sent = [(k, v) for k, v in sent if k.lower() != "content-length"] + [("Content-Length", str(len(body)))]
        head = f"HTTP/1.1 {response.status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in sent)
        return head.encode("latin-1"), body


def install(app: Flask) -> None:
    """Offer the worker the early answer (read by app/runtime/read_deadline.py from the WSGI app)."""
    app.answer_early = EarlyRefusal(app)
