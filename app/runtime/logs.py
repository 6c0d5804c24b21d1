"""Log set-up: one JSON object a line (default) or plain text, on stderr for journald.

Callers log an event name and plain fields; never a password, token, cookie or setup code.
Every handler writes one event a line: text lines go through `escape_line`, so a newline or
other control character a client sent (a decoded `%0A` in a path) can never start a line of
its own and forge an event for fail2ban (docs/security.md, "Logs").
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

# LogRecord attributes that are not fields of the event.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


def escape_line(text: str) -> str:
    """Backslash-escape control characters, non-ASCII and backslashes: one event, one line."""
    return text.encode("unicode_escape").decode("ascii")


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
        if record.exc_info:  # the traceback too: its text can quote what a client sent
            line += "\n" + self.formatException(record.exc_info)
        return escape_line(line)


class EscapingFormatter(logging.Formatter):
    """Wraps another formatter (gunicorn's text lines) and escapes its output into one line."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        return escape_line(self.inner.format(record))


def configure_logging(fmt: str) -> None:
    """Attach one stderr handler to the `gatehouse` logger and one to the root (idempotent).

    The root's handler (warnings and up) catches every other library's lines, Flask's own
    included, so none of them falls back to Python's unescaped last-resort output.
    """
    logger = logging.getLogger("gatehouse")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    root = logging.getLogger()
    for target, level in ((logger, None), (root, logging.WARNING)):
        handler = next((h for h in target.handlers if getattr(h, "gatehouse", False)), None)
        if handler is None:
            handler = logging.StreamHandler(sys.stderr)
            handler.gatehouse = True
            target.addHandler(handler)
        if level is not None:
            handler.setLevel(level)
        handler.setFormatter(JSONFormatter() if fmt == "json" else TextFormatter())


class CommandFormatter(logging.Formatter):
    """A `gatehouse` command's warning as a person at a terminal reads it: no JSON, no fields."""

    def format(self, record: logging.LogRecord) -> str:
        return escape_line(f"gatehouse: {record.levelname.lower()}: {record.getMessage()}")


def configure_for_a_command() -> None:
    """A command answers on stdout; of the app's log lines only warnings and errors reach
    stderr, as plain `gatehouse: warning: …` lines (the service's JSON would be noise there)."""
    logging.getLogger("gatehouse").setLevel(logging.WARNING)
    for target in (logging.getLogger("gatehouse"), logging.getLogger()):
        for handler in target.handlers:
            if getattr(handler, "gatehouse", False):
                handler.setFormatter(CommandFormatter())
