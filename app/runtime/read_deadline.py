"""gunicorn's gthread worker with read deadlines: a slow client never holds a thread.

Stock gthread hands a connection to a thread as soon as its first byte arrives; the thread
then blocks in recv() until the rest of the request head and body trickle in, with no
limit. Four connections that each send a few bytes and stop take every thread, and then
nobody can sign in or even reach /healthz; nginx would buffer for us, but direct
gunicorn, Caddy and Traefik are supported set-ups too. Hand-written because gunicorn has
no such setting and no library adds one to it.

`ReadDeadlineWorker` (gunicorn.conf.py's `worker_class`) does what nginx does:

1. The main loop reads each request into a buffer, without a thread, until its head and
   its body (Content-Length, or chunked up to the last chunk; at most BUFFER_LIMIT bytes)
   are in. Only then does a thread run it, and its reads come from that buffer.
2. The request must be complete within READ_TIMEOUT seconds of its first byte; otherwise
   the connection gets 408 and is closed. The same deadline bounds any read a thread still
   makes (a body larger than the buffer, a chunked body that fooled the check in 1): the
   socket then times out instead of waiting for ever.

Idle connections before their first byte, and kept-alive ones between requests, wait in
the poller as before (gunicorn's `keepalive`, 5 s). docs/security.md, "Headers and limits".
"""

from __future__ import annotations

import re
import selectors
import socket
import time
from functools import partial

from gunicorn.workers.gthread import ThreadWorker

READ_TIMEOUT = 10.0  # seconds from a request's first byte until its head and body are in
BUFFER_LIMIT = 64 * 1024  # the app refuses bodies over 16 KiB; past this a thread reads on
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_LENGTH = re.compile(rb"^content-length[ \t]*:[ \t]*(\d+)[ \t]*\r?$", re.I | re.M)
_CHUNKED = re.compile(rb"^transfer-encoding[ \t]*:.*chunked", re.I | re.M)
_LAST_CHUNK = re.compile(rb"(?:^|\r\n)0+(?:;[^\r\n]*)?\r\n(?:[^\r\n]+\r\n)*\r\n$")
TIMEOUT_RESPONSE = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


def request_complete(data: bytes) -> bool:
    """Whether `data` holds a whole request head and its body (or BUFFER_LIMIT bytes)."""
    if len(data) >= BUFFER_LIMIT:
        return True
    end = _HEAD_END.search(data)
    if end is None:
        return False
    head, body = data[: end.start()], data[end.end():]
    if _CHUNKED.search(head):
        return _LAST_CHUNK.search(body) is not None
    length = _LENGTH.search(head)
    return len(body) >= int(length.group(1)) if length else True


class DeadlineSocket:
    """The socket as the request parser sees it: every recv() ends by the deadline."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.deadline = float("inf")

    def recv(self, size: int) -> bytes:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("request read deadline passed")
        previous = self.sock.gettimeout()
        self.sock.settimeout(remaining if previous is None else min(previous, remaining))
        try:
            return self.sock.recv(size)
        finally:
            self.sock.settimeout(previous)

    def __getattr__(self, name: str):
        return getattr(self.sock, name)


class ReadDeadlineWorker(ThreadWorker):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.reading: dict = {}  # connection -> deadline, while the main loop buffers its request

    def enqueue_req(self, conn) -> None:
        if self.cfg.is_ssl or conn.is_http2:  # not plain HTTP/1: stock behaviour
            return super().enqueue_req(conn)
        if not hasattr(conn, "buffered"):
            conn.buffered = b""
        if conn.parser is not None:  # read-ahead left from the previous request on this connection
            conn.buffered += conn.parser.unreader.take_buffered()
        self.reading[conn] = time.monotonic() + READ_TIMEOUT
        if request_complete(conn.buffered):
            return self._dispatch(conn)
        conn.sock.setblocking(False)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))

    def _on_readable(self, conn, _sock) -> None:
        try:
            data = conn.sock.recv(BUFFER_LIMIT)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        self.poller.unregister(conn.sock)
        if not data:  # the client went away
            self._drop(conn)
            return
        conn.buffered += data
        if request_complete(conn.buffered):
            self._dispatch(conn)
        else:
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))

    def _dispatch(self, conn) -> None:
        deadline = self.reading.pop(conn)
        conn.init()  # plain HTTP: makes the parser (and the socket blocking) without reading
        if not isinstance(conn.parser.unreader.sock, DeadlineSocket):
            conn.parser.unreader.sock = DeadlineSocket(conn.sock)
        conn.parser.unreader.sock.deadline = deadline
        conn.parser.unreader.unread(conn.buffered)
        conn.buffered = b""
        conn.data_ready = True
        super().enqueue_req(conn)

    def _drop(self, conn, answer: bytes = b"") -> None:
        self.reading.pop(conn, None)
        if answer:
            try:
                conn.sock.send(answer)
            except OSError:
                pass
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self) -> None:
        """gunicorn's sweep (each second), plus requests not complete by their deadline."""
        super().murder_pending()
        now = time.monotonic()
        for conn in [c for c, deadline in self.reading.items() if deadline <= now]:
            try:
                self.poller.unregister(conn.sock)
            except (KeyError, ValueError, OSError):
                pass
            self._drop(conn, TIMEOUT_RESPONSE)
