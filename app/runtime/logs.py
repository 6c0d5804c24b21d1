"""Log set-up: one JSON object a line (default) or plain text, on stderr for journald.

Callers log an event name and plain fields; never a password, token, cookie or setup code.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

# LogRecord attributes that are not fields of the event.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


def fields_of(record: logging.LogRecord) -> dict:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD}


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **fields_of(record),
            "pid": record.process,  # which worker; last, so fail2ban's anchored filter still matches
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=True)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extra = " ".join(f"{k}={v!r}" for k, v in fields_of(record).items())
        line = f"{self.formatTime(record)} {record.levelname} {record.name}: {record.getMessage()} {extra}".rstrip()
        # One event, one line: escape anything a client could use to forge another line.
        line = line.encode("unicode_escape").decode("ascii")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(fmt: str) -> None:
    """Attach one stderr handler to the `gatehouse` logger (idempotent)."""
    logger = logging.getLogger("gatehouse")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    handler = next((h for h in logger.handlers if getattr(h, "gatehouse", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.gatehouse = True
        logger.addHandler(handler)
    handler.setFormatter(JSONFormatter() if fmt == "json" else TextFormatter())
