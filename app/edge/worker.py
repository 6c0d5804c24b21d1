"""gunicorn's gthread worker with read deadlines: a slow client never holds a thread.

Stock gthread hands a connection to a thread as soon as its first byte arrives; the thread
then blocks in recv() until the rest of the request head and body trickle in, with no
limit. Four connections that each send a few bytes and stop take every thread, and then
nobody can sign in or even reach /healthz; nginx would buffer for us, but direct
gunicorn, Caddy and Traefik are supported set-ups too. Hand-written because gunicorn has
no such setting and no library adds one to it.

`ReadDeadlineWorker` (gunicorn.conf.py's `worker_class`) does what nginx does:

1. The main loop reads each request into a buffer, without a thread, until its head and
   its body are in, as h11 frames them (app/edge/http_reader.py: Content-Length, or chunked
   to the real last chunk). Only then does a thread run it, and its reads come from that
   buffer. A request h11 refuses is answered from the main loop (400; 431 for a head over
   64 KiB) and its connection closed: no thread ever waits on a request nobody can frame.
   A head with `Expect: 100-continue` gets `100 Continue` from the main loop as soon as it
   is in (stock gthread only says it once a thread runs the request, and ours waits for the
   body the client holds back until it hears it).
2. The request must be complete within READ_TIMEOUT seconds of its first byte; otherwise
   the connection gets 408 and is closed. The same deadline bounds any read a thread still
   makes: the socket then times out instead of waiting for ever.
3. A body larger than BUFFER_LIMIT (declared, or past it while reading) is more than the app
   accepts (16 KiB: 413 without reading it): a thread runs it at once, from what is buffered,
   and the connection is closed after the answer instead of read to the body's end.
4. A connection closed after an answer lingers in the poller (at most LINGER_SECONDS) until
   the client closes its side, as nginx's lingering close: stock gthread waits for that in
   the main loop, two seconds per client that never closes, and every connection waits with it.
5. Out of file descriptors (EMFILE on accept): stock gthread lets the error end the worker.
   Here accepting pauses for ACCEPT_PAUSE, as nginx does, and the connections already open
   are served (a database that cannot be opened meanwhile is a 503: docs/design.md, "Faults").

Idle connections before their first byte, and kept-alive ones between requests, wait in
the poller as before (gunicorn's `keepalive`, 5 s). docs/security.md, "Headers and limits".

6. Once a request is whole, the WSGI app may answer it from the main loop instead: if it
   offers an early answer (app/edge/early.py) that returns a response, that is sent
   `EARLY_HOLD` later and the connection kept alive, and no thread runs
   (app/edge/early_refusal.py: a guess the app would only refuse costs the worker tens of
   microseconds, not a thread and a millisecond, and a client that waits for each answer
   sends one a second).
"""

from __future__ import annotations

import heapq
import itertools
import selectors
import socket
import time
from functools import partial

from gunicorn.workers.gthread import ThreadWorker

from app.edge.early import early_answer_of
from app.edge.http_reader import Reader
from app.edge.sockets import AcceptPause, Lingering

READ_TIMEOUT = 10.0  # seconds from a request's first byte until its head and body are in
BUFFER_LIMIT = 64 * 1024  # the app refuses bodies over 16 KiB; past this a thread answers at once
EARLY_HOLD = 1.0  # an early answer (a refusal with Retry-After: 1) goes out this much later
TIMEOUT_RESPONSE = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


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


class ReadDeadlineWorker(AcceptPause, Lingering, ThreadWorker):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.reading: dict = {}  # connection -> deadline, while the main loop buffers its request
        self.answer_early = None
        self.held: list = []  # heap of (send at, order, connection, early answer)
        self.held_order = itertools.count()
        # Read once: gunicorn's Config looks each setting up anew, on every request of the main loop.
        self.plain_http = not self.cfg.is_ssl
        self.keepalive = self.cfg.keepalive

    def run(self) -> None:
        self.answer_early = early_answer_of(self.wsgi)  # the app is loaded by now
        super().run()

    def enqueue_req(self, conn) -> None:
        if not self.plain_http or conn.is_http2:  # not plain HTTP/1: stock behaviour
            return super().enqueue_req(conn)
        if not hasattr(conn, "buffered"):
            conn.buffered = b""
        if conn.parser is not None:  # read-ahead left from the previous request on this connection
            conn.buffered += conn.parser.unreader.take_buffered()
        conn.reader, conn.continued, conn.cut = Reader(), False, False
        conn.reader.feed(conn.buffered)
        self.reading[conn] = time.monotonic() + READ_TIMEOUT
        if self._settle(conn, registered=False):
            return
        conn.sock.setblocking(False)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))

    def _on_readable(self, conn, _sock) -> None:
        """More of a request arrived; it stays registered until the request is whole."""
        try:
            data = conn.sock.recv(BUFFER_LIMIT)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away
            self.poller.unregister(conn.sock)
            self._drop(conn)
            return
        conn.buffered += data
        conn.reader.feed(data)
        self._settle(conn, registered=True)

    def _settle(self, conn, registered: bool) -> bool:
        """What the bytes of a request so far call for; True once it no longer waits for more."""
        reader = conn.reader
        if reader.complete:
            self._complete(conn, registered)
            return True
        over = reader.error is not None or len(conn.buffered) >= BUFFER_LIMIT or (
            (reader.declared_length or 0) > BUFFER_LIMIT)
        if over and registered:
            self.poller.unregister(conn.sock)
        if reader.error is not None:  # h11 cannot frame it: nobody could
            self._drop(conn, reader.refusal())
            return True
        if over and reader.head is None:  # a head that fills the buffer: never a request of ours
            self._drop(conn, reader.refusal(431))
            return True
        if over:  # more than the app accepts: it answers 413 at once, and the rest is never read
            conn.cut = True
            self._dispatch(conn)
            return True
        if reader.head is not None and reader.waiting_for_continue and not conn.continued:
            conn.continued = True
            try:
                conn.sock.send(reader.continue_response())  # 25 bytes into an idle socket's buffer
            except OSError:
                pass  # gone: the next read says so
        return False

    def _complete(self, conn, registered: bool) -> None:
        """A whole request: the app's early answer if it has one (sent after `EARLY_HOLD`),
        else a thread runs it."""
        answer = self._early_answer(conn.reader, conn.client)
        if registered:
            self.poller.unregister(conn.sock)
        if answer is None:
            return self._dispatch(conn)
        self.reading.pop(conn)
        conn.buffered = b""
        heapq.heappush(self.held, (time.monotonic() + EARLY_HOLD, next(self.held_order), conn, answer))

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        if self.held:  # wake up for the next held answer
            timeout = min(timeout, max(0.0, self.held[0][0] - time.monotonic()))
        super().wait_for_and_dispatch_events(timeout)
        now = time.monotonic()
        while self.held and self.held[0][0] <= now:
            self._send_held(*heapq.heappop(self.held)[2:])

    def _send_held(self, conn, answer: bytes) -> None:
        try:
            conn.sock.setblocking(False)
            sent = conn.sock.send(answer)  # a few KiB into an idle socket's buffer: all of it
        except OSError:
            sent = 0
        if sent != len(answer):
            self.nr_conns -= 1
            conn.close()
            return
        # Kept alive as gunicorn keeps a connection after a response; its next request is read here.
        conn.timeout = time.monotonic() + self.keepalive
        self.keepalived_conns.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_kept_readable, conn))

    def _on_kept_readable(self, conn, sock) -> None:
        """The next request on a connection kept alive after an early answer."""
        self.keepalived_conns.remove(conn)
        conn.reader, conn.continued, conn.cut = Reader(), False, False
        self.reading[conn] = time.monotonic() + READ_TIMEOUT
        self.poller.modify(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))
        self._on_readable(conn, sock)

    def _early_answer(self, request: Reader, client) -> bytes | None:
        if (self.answer_early is None or not self.alive or not self.keepalive
                or len(self.keepalived_conns) >= self.max_keepalived):  # where gunicorn would close: it answers
            return None
        try:
            return self.answer_early(request, client)
        except Exception:  # never let it stop the main loop: the app answers instead
            self.log.exception("early answer failed; the request goes to the app")
            return None

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

    def handle_request(self, req, conn) -> bool:
        """gunicorn's, but a request whose body was cut (3.) ends its connection, and the main loop
        already answered `Expect: 100-continue` (1.) where gunicorn would say it once more."""
        if getattr(conn, "reader", None) is not None and hasattr(req, "_expected_100_continue"):
            req._expected_100_continue = False  # gunicorn's flag (http/message.py); it only sends the 100
        keep = super().handle_request(req, conn)
        return keep and not getattr(conn, "cut", False)

    def _drop(self, conn, answer: bytes = b"") -> None:
        """End a connection whose request is not run: `answer` (a 408, or a refusal), then close."""
        self.reading.pop(conn, None)
        if answer:
            try:
                conn.sock.setblocking(False)
                conn.sock.send(answer)
            except OSError:
                pass
        self.nr_conns -= 1
        conn.close(graceful=bool(answer))

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
