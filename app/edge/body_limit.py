"""A chunked request body (no Content-Length) over the limit is 413, like a declared one.

Werkzeug enforces MAX_CONTENT_LENGTH on a declared Content-Length with a 413, but a chunked
body is only cut off at the limit: the app then sees a truncated body and answers 422 or 400
for the wrong reason. This WSGI middleware reads such a body (at most limit + 1 bytes) before
the app runs and states its length, so Werkzeug's own check answers 413 through the usual
error pages. Hand-written: no library does this for Flask; it is a dozen lines.
"""

from __future__ import annotations

import io

from werkzeug.exceptions import ClientDisconnected


class _Unread(io.RawIOBase):
    """A body the server could not deliver: reading it is a 400 through the app's error pages."""

    def readable(self) -> bool:
        return True

    def readinto(self, _buffer) -> int:
        raise ClientDisconnected()


class ChunkedBodyLimit:
    def __init__(self, wsgi_app, limit: int) -> None:
        self.wsgi_app = wsgi_app
        self.limit = limit

    def __call__(self, environ, start_response):
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not environ.get("CONTENT_LENGTH"):
            try:
                body = environ["wsgi.input"].read(self.limit + 1)  # the server de-chunks it
            except OSError:  # its read deadline passed (app/edge/worker.py), or it left
                environ["wsgi.input"], body = _Unread(), b" " * self.limit
            else:
                environ["wsgi.input"] = io.BytesIO(body[: self.limit])
            environ["CONTENT_LENGTH"] = str(len(body))  # limit + 1 when there was more: 413
            del environ["HTTP_TRANSFER_ENCODING"]  # the app now sees a plain body of that length
        return self.wsgi_app(environ, start_response)
