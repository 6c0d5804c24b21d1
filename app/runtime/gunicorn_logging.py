"""gunicorn's own log lines in Gatehouse's format, so journald gets one kind of JSON line.

gunicorn.conf.py names `GatehouseLogger` as gunicorn's `logger_class`. With
GATEHOUSE_LOG_FORMAT=json (the default) the server's lines and the access log become
JSON objects; with `text` gunicorn keeps its usual lines, each escaped into one line (a
decoded `%0A` in a path would otherwise start a forged line). The access log carries the
method, the path without its query string, the status, size and time: never a header,
cookie or form field.
"""

from __future__ import annotations

import logging
import os

from gunicorn.glogging import Logger

from app.runtime.logs import EscapingFormatter, JSONFormatter


class ServerJSONFormatter(JSONFormatter):
    """gunicorn's own messages (start, workers, signals) as `server` events."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(logging.makeLogRecord({**vars(record), "event": "server"}))


class AccessJSONFormatter(JSONFormatter):
    """One `request` event per response, built from gunicorn's access-log atoms."""

    def format(self, record: logging.LogRecord) -> str:
        atoms = record.args  # gunicorn passes its atoms as the one mapping argument
        status = atoms["s"]
        fields = {
            "msg": "%s %s %s",
            "args": (atoms["m"], atoms["U"], status),
            "event": "request",
            "peer_ip": atoms["h"],
            "method": atoms["m"],
            "path": atoms["U"],
            "status": int(status) if str(status).isdigit() else status,
            "bytes": atoms["B"] or 0,
            "seconds": atoms["L"],
        }
        return super().format(logging.makeLogRecord({**vars(record), **fields}))


class GatehouseLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        if os.environ.get("GATEHOUSE_LOG_FORMAT", "json") != "json":
            for handler in self.error_log.handlers + self.access_log.handlers:
                if not isinstance(handler.formatter, EscapingFormatter):  # setup runs again on SIGHUP
                    handler.setFormatter(EscapingFormatter(handler.formatter))
            return
        for handler in self.error_log.handlers:
            handler.setFormatter(ServerJSONFormatter())
        for handler in self.access_log.handlers:
            handler.setFormatter(AccessJSONFormatter())
