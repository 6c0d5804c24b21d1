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
every request. For the same reason it is written straight to the access log's stream when
that log is as gunicorn.conf.py sets it up (one stream or file handler, nothing filtering):
the same line, under the handler's lock, where `logging` would first look up the caller's
frame, build a record (thread and process names, times) and pass it through the logger and
handler (docs/performance.md: 136,000 instructions a line, more than the rest of gunicorn's
work on a request). Any other set-up (a syslog handler, a filter, propagation) goes through
`logging` as before.
"""

from __future__ import annotations

import json
import logging
import math
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


_CLOCK = _Clock()
_ENCODE = json.JSONEncoder(default=str, ensure_ascii=True).encode  # json.dumps(..., default=str, ensure_ascii=True)
_QUOTE = json.encoder.encode_basestring_ascii  # how that encoder writes a str
_STREAMS = (logging.StreamHandler, logging.FileHandler)  # handlers gunicorn makes for accesslog


def access_line(atoms: dict, created: float, logger: str, level: str, process: int | None) -> str:
    """One `request` event: the same keys, in the same order, as the app's JSON lines.

    Exactly what `json.dumps(event, default=str, ensure_ascii=True)` writes. When the values
    have their usual types (strings, whole numbers, a finite float) the line is put together
    here: a new encoder per line, and a Python call for the float, cost more than the rest of
    it. Anything else goes through the encoder.
    """
    method, path, status, peer = atoms["m"], atoms["U"], atoms["s"], atoms["h"]
    ts, level = _CLOCK.iso(created), level.lower()
    message = f"{method} {path} {status}"
    code = int(status) if str(status).isdigit() else status
    sent = atoms["B"] or 0
    seconds = float(atoms["L"])  # gunicorn formats it as text
    if (method.__class__ is str and path.__class__ is str and peer.__class__ is str and logger.__class__ is str
            and code.__class__ is int and sent.__class__ is int and process.__class__ is int
            and math.isfinite(seconds)):
        return (f'{{"ts": {_QUOTE(ts)}, "level": {_QUOTE(level)}, "logger": {_QUOTE(logger)}, '
                f'"message": {_QUOTE(message)}, "event": "request", "peer_ip": {_QUOTE(peer)}, '
                f'"method": {_QUOTE(method)}, "path": {_QUOTE(path)}, "status": {code!r}, '
                f'"bytes": {sent!r}, "seconds": {seconds!r}, "pid": {process!r}}}')
    return _ENCODE({"ts": ts, "level": level, "logger": logger, "message": message, "event": "request",
                    "peer_ip": peer, "method": method, "path": path, "status": code, "bytes": sent,
                    "seconds": seconds, "pid": process})


class AccessJSONFormatter(logging.Formatter):
    """One `request` event per response, from a record (`access_line`)."""

    clock = _CLOCK

    def format(self, record: logging.LogRecord) -> str:
        # gunicorn passes its atoms as the one mapping argument
        return access_line(record.args, record.created, record.name, record.levelname, record.process)


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
        handlers = self._streams()
        if handlers is None:
            self.access_log.info("%(m)s %(U)s %(s)s", atoms)
            return
        created = time.time()
        line = access_line(atoms, created, self.access_log.name, logging.getLevelName(logging.INFO),
                           os.getpid() if logging.logProcesses else None)
        for handler in handlers:  # what Handler.handle and StreamHandler.emit do with the record's text
            handler.acquire()
            try:
                handler.stream.write(line + handler.terminator)
                handler.flush()
            except RecursionError:
                raise
            except Exception:
                handler.handleError(self._record(atoms, created))
            finally:
                handler.release()

    def _streams(self) -> list[logging.StreamHandler] | None:
        """The access log's handlers when writing the line to their streams is exactly what `logging`
        would do with it (INFO enabled, no filter, no propagation, plain stream or file handlers
        with our formatter and an open stream); None otherwise."""
        log = self.access_log
        if log.disabled or log.filters or log.propagate or not log.isEnabledFor(logging.INFO):
            return None
        handlers = log.handlers
        for handler in handlers:
            if (type(handler) not in _STREAMS or handler.filters or handler.level > logging.INFO
                    or handler.stream is None or type(handler.formatter) is not AccessJSONFormatter):
                return None
        return handlers

    def _record(self, atoms: dict, created: float) -> logging.LogRecord:
        """The record `logging` would have made (for `handleError` only)."""
        record = self.access_log.makeRecord(self.access_log.name, logging.INFO, __file__, 0,
                                            "%(m)s %(U)s %(s)s", (atoms,), None)
        record.created = created
        return record
