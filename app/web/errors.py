"""Error responses: rendered HTML for pages (in our words, see error_pages.py), and
`{"error", "message"}` JSON under /api/.

Nothing here ever shows a stack trace; unexpected errors are logged and become a plain 500.
The database failing (app/database.py `is_fault`: unreachable, a dropped connection, a full
disk, a read-only server) is a 503 with Retry-After on every route, never a 500, and the
request's database session is rolled back first, so the hooks that still run (the limiter's
device cookie, the teardown) find it usable (docs/design.md, "Faults").
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, render_template, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError, ServiceUnavailable

from app.database import fault_name, is_fault, recover_current
from app.web.error_pages import describe

log = logging.getLogger("gatehouse.errors")

# Short machine-readable codes for the JSON API.
CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type",
    422: "invalid_request", 429: "rate_limited", 500: "internal_error", 503: "unavailable",
}


_JSON = "gatehouse_answers_json"  # the attribute `answers_json` puts on a view function


def answers_json(view):
    """Mark a view outside /api/ whose errors are JSON too (the OpenID Provider's machine endpoints)."""
    setattr(view, _JSON, True)
    return view


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    return getattr(current_app.view_functions.get(request.endpoint), _JSON, False)


def render_error(error: HTTPException):
    code = error.code or 500
    message = error.description if code != 500 else "Something went wrong on our side."
    if isinstance(error, SecurityError):  # a Host outside TRUSTED_HOSTS: no URL can be built for it
        message = "This host name is not served here."
        if not wants_json():
            return message + "\n", code, {"Content-Type": "text/plain; charset=utf-8"}
    if wants_json():
        response = jsonify(error=CODES.get(code, "error"), message=message)
    else:
        response = render_template("errors/error.html", page=describe(error))
    headers = dict(error.get_headers())
    headers.pop("Content-Type", None)
    return response, code, headers


def render_unexpected(error: Exception):
    log.exception("unhandled error", extra={"event": "error", "path": request.path})
    recover_current()
    return render_error(InternalServerError())


def render_database_error(error: SQLAlchemyError):
    """A fault of the database: 503 + Retry-After. Any other database error is a bug: a 500."""
    if not is_fault(error):
        return render_unexpected(error)
    recover_current()
    cause = fault_name(error)
    log.error("database unavailable: %s", cause, extra={"event": "database_unavailable", "path": request.path})
    response, code, headers = render_error(ServiceUnavailable("The database is not answering; try again shortly."))
    headers["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response, code, headers


DATABASE_RETRY_AFTER = 5  # seconds: a dropped connection is replaced at once, a restart takes a few


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(SQLAlchemyError, render_database_error)
    app.register_error_handler(Exception, render_unexpected)
