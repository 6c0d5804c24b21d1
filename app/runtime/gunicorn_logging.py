"""gunicorn's own log lines in Gatehouse's format, so journald gets one kind of JSON line.

gunicorn.conf.py names `GatehouseLogger` as gunicorn's `logger_class`. With
GATEHOUSE_LOG_FORMAT=json (the default) the server's lines and the access log become
JSON objects; with `text` gunicorn keeps its usual lines, each escaped into one line (a
decoded `%0A` in a path would otherwise start a forged line). The access log carries the
method, the path without its query string, the status, size and time: never a header,
cookie or form field.

Policy for forward-auth checks: a *successful* check (2xx from `/api/v1/auth/verify` or
`/api/v1/auth/forward-auth`) writes no access line. The reverse proxy asks once per request
of every protected tool and logs that request itself; a line per check here would repeat
each of them and cost a quarter of the gate's throughput (docs/performance.md). Refused
checks (401 and the rest) and every other request are logged as before, in both formats.

The JSON access line is built straight from the few values it carries, not from gunicorn's
full set of atoms (every request header and environ entry, a formatted time) and not
through a copy of the log record: it is written once per request, so its cost is paid by
every request.
"""

from __future__ import annotations

import json
import logging
import os
import time

from gunicorn.glogging import Logger

from app.runtime.logs import EscapingFormatter, JSONFormatter

# Answers the proxy logs itself: not logged when they succeed (see the policy above).
QUIET_WHEN_OK = frozenset({"/api/v1/auth/verify", "/api/v1/auth/forward-auth"})


class ServerJSONFormatter(JSONFormatter):
    """gunicorn's own messages (start, workers, signals) as `server` events."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(logging.makeLogRecord({**vars(record), "event": "server"}))


class _Clock:
    """`2026-01-02T03:04:05.678+00:00` (the app's `ts` format), the seconds part formatted once a second."""

    def __init__(self) -> None:
        self.cached = (-1, "")  # (second, its text): one tuple, so threads never see half an update

    def iso(self, created: float) -> str:
        second = int(created)
        micro = round((created - second) * 1e6)  # rounded to µs first, as datetime.fromtimestamp does
        if micro >= 1_000_000:
            second, micro = second + 1, micro - 1_000_000
        cached_second, prefix = self.cached
        if second != cached_second:
            prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self.cached = (second, prefix)
        return f"{prefix}.{micro // 1000:03d}+00:00"


class AccessJSONFormatter(logging.Formatter):
    """One `request` event per response: the same keys, in the same order, as the app's JSON lines."""

    clock = _Clock()

    def format(self, record: logging.LogRecord) -> str:
        atoms = record.args  # gunicorn passes its atoms as the one mapping argument
        method, path, status = atoms["m"], atoms["U"], atoms["s"]
        return json.dumps({
            "ts": self.clock.iso(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": f"{method} {path} {status}",
            "event": "request",
            "peer_ip": atoms["h"],
            "method": method,
            "path": path,
            "status": int(status) if str(status).isdigit() else status,
            "bytes": atoms["B"] or 0,
            "seconds": float(atoms["L"]),  # gunicorn formats it as text
            "pid": record.process,
        }, default=str, ensure_ascii=True)


class GatehouseLogger(Logger):
    json_access = False  # JSON access lines built here (see `access`), else gunicorn's own path

    def setup(self, cfg) -> None:
        super().setup(cfg)
        if os.environ.get("GATEHOUSE_LOG_FORMAT", "json") != "json":
            self.json_access = False
            for handler in self.error_log.handlers + self.access_log.handlers:
                if not isinstance(handler.formatter, EscapingFormatter):  # setup runs again on SIGHUP
                    handler.setFormatter(EscapingFormatter(handler.formatter))
            return
        self.json_access = True
        for handler in self.error_log.handlers:
            handler.setFormatter(ServerJSONFormatter())
        for handler in self.access_log.handlers:
            handler.setFormatter(AccessJSONFormatter())

    def access(self, resp, req, environ, request_time) -> None:
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else str(resp.status)
        if status.startswith("2") and environ.get("PATH_INFO") in QUIET_WHEN_OK:
            return
        if not self.json_access:
            return super().access(resp, req, environ, request_time)
        if not self.access_log.handlers:  # no access log configured (gunicorn's own check, per version)
            return
        atoms = {
            "h": environ.get("REMOTE_ADDR", "-"),
            "m": environ.get("REQUEST_METHOD"),
            "U": environ.get("PATH_INFO"),
            "s": status,
            "B": getattr(resp, "sent", None),
            "L": "%d.%06d" % (request_time.seconds, request_time.microseconds),
        }
        self.access_log.info("%(m)s %(U)s %(s)s", atoms)
