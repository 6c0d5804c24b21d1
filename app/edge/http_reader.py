"""Where a request ends: the one HTTP/1.1 reader of the edge, h11's state machine.

The worker (app/edge/worker.py) buffers each request without a thread until it is whole, and
the early refusal (app/edge/early_refusal.py) reads its head; both read through `Reader`.
They used to carry a regular expression each, and a chunk that only looked like the last one
(`40\r\n\r\n0\r\n\r\n`: seven bytes of a 64-byte chunk) fooled the worker into handing a thread
a request whose body had not arrived. h11 (a small, well-kept HTTP/1.1 state machine, the
parser of httpx and uvicorn) frames the message by RFC 9112: Content-Length, chunked (chunk
sizes, extensions, trailers), requests without a body, and what comes after the message.

Nothing here reads a socket: the worker feeds what it received (`feed`) and asks where the
request stands. Pure, and light to import (gunicorn's master imports the worker class).
"""

from __future__ import annotations

from http import HTTPStatus

import h11

HEAD_LIMIT = 64 * 1024  # a request head (or chunk header) longer than this is refused: 431


class Reader:
    """One request on a connection, read as it arrives."""

    def __init__(self) -> None:
        self._h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=HEAD_LIMIT)
        self.head: h11.Request | None = None
        self.body_received = 0  # body bytes (de-chunked) read so far
        self.complete = False  # the head and the whole body are in
        self.error: h11.RemoteProtocolError | None = None  # not a request h11 (RFC 9112) accepts

    def feed(self, data: bytes) -> None:
        """Read `data`, the next bytes from the client (the worker drops a connection whose
        client closed: a request cut short is never run)."""
        if not data or self.complete or self.error is not None:
            return
        try:
            self._h11.receive_data(data)
            while True:
                event = self._h11.next_event()
                if event is h11.NEED_DATA:
                    return
                if isinstance(event, h11.Request):
                    self.head = event
                elif isinstance(event, h11.Data):
                    self.body_received += len(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    self.complete = True
                    return
                else:  # ConnectionClosed before the end, or PAUSED (never before EndOfMessage)
                    return
        except h11.RemoteProtocolError as exc:
            self.error = exc

    @property
    def declared_length(self) -> int | None:
        """The head's Content-Length (h11 checked it: ASCII digits, one value), or None."""
        if self.head is None:
            return None
        values = [value for name, value in self.head.headers if name == b"content-length"]
        return int(values[0]) if values and not self.chunked else None

    @property
    def chunked(self) -> bool:
        return self.head is not None and any(
            name == b"transfer-encoding" and b"chunked" in value.lower() for name, value in self.head.headers)

    @property
    def waiting_for_continue(self) -> bool:
        """The client sent `Expect: 100-continue` and waits for our word before sending its body."""
        return self._h11.they_are_waiting_for_100_continue

    def continue_response(self) -> bytes:
        """`HTTP/1.1 100 Continue`, as h11 writes it."""
        return self._h11.send(h11.InformationalResponse(status_code=100, reason=b"Continue", headers=[]))

    @property
    def after(self) -> bytes:
        """Bytes received past the end of this request (a pipelined next one)."""
        return bytes(self._h11.trailing_data[0]) if self.complete else b""

    def header(self, name: bytes) -> list[bytes]:
        """Every value of header `name` (lower case), in order."""
        return [value for key, value in self.head.headers if key == name] if self.head is not None else []

    def refusal(self, status: int | None = None) -> bytes:
        """The answer to a request h11 refused: its status (400, 431 for a head too long, 501 for
        an unknown transfer coding) unless `status` is given, a line of text, and the connection
        closed after it."""
        status = status or (self.error.error_status_hint if self.error is not None else 400)
        phrase = HTTPStatus(status).phrase
        body = f"{phrase}: the request could not be read.\n".encode()
        return self._h11.send(h11.Response(status_code=status, reason=phrase.encode(), headers=[
            ("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
            ("Connection", "close"), ("X-Content-Type-Options", "nosniff")])) + body


def read(data: bytes) -> Reader:
    """`data` read as one request (tests, and the early refusal's own callers)."""
    reader = Reader()
    reader.feed(data)
    return reader
