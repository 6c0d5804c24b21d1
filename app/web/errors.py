"""Error responses: rendered HTML for pages (in our words, see error_pages.py), and
`{"error", "message"}` JSON under /api/.

Nothing here ever shows a stack trace; unexpected errors are logged and become a plain 500.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError, ServiceUnavailable

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
    return render_error(InternalServerError())


def render_database_down(error: OperationalError):
    log.error("database unavailable: %s", type(error.orig).__name__, extra={"event": "database_unavailable"})
    response, code, headers = render_error(ServiceUnavailable("The database is not answering; try again shortly."))
    headers["Retry-After"] = "5"
    return response, code, headers


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(OperationalError, render_database_down)
    app.register_error_handler(Exception, render_unexpected)
