"""How the worker (app/edge/worker.py) accepts and closes connections without stalling its main loop.

Hand-written for the same reason as the worker: gunicorn's gthread has no setting for either.

- `AcceptPause`: accept() failing for want of file descriptors (EMFILE, ENFILE) or kernel
  memory ends stock gthread's worker (the error leaves its main loop). Here accepting pauses for
  ACCEPT_PAUSE seconds instead, as nginx does ("accept() failed (24: Too many open files)"),
  while the connections already open are served and close, which frees descriptors. One
  warning a minute says so. deploy/gatehouse.service sizes the limit so this stays rare.
- `Lingering`: a connection closed after its answer waits, in the poller, for the client to
  close its side (at most LINGER_SECONDS, reading and dropping what it still sends), so the
  kernel never answers that data with a reset that could destroy the answer unread (RFC 9112
  §9.6). Stock gthread waits for it inside the main loop, blocking: every client that keeps its
  socket open stalls every other connection for two seconds.
"""

from __future__ import annotations

import errno
import logging
import selectors
import socket
import time
from functools import partial

from gunicorn import util
from gunicorn.workers.gthread import TConn

ACCEPT_PAUSE = 0.5  # seconds without accepting after the process ran out of file descriptors
LINGER_SECONDS = 2.0  # gunicorn's own bound for the same wait
LINGER_BYTES = 64 * 1024  # read and dropped at most, then the connection is closed anyway
OUT_OF_RESOURCES = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
WARN_EVERY = 60.0

log = logging.getLogger("gatehouse.worker")


class LingeringConn(TConn):
    """gunicorn's connection, whose graceful close lingers in the worker's poller."""

    def __init__(self, worker, *args) -> None:
        super().__init__(*args)
        self.worker = worker

    def close(self, graceful: bool = False) -> None:
        if graceful:
            self.worker.linger(self)
        else:
            super().close()


class AcceptPause:
    """Accept connections; out of descriptors, stop accepting for a moment instead of dying."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.accept_paused_until = 0.0
        self.warned_at = float("-inf")

    def accept(self, listener) -> None:
        try:
            client_sock, client_addr = listener.accept()
        except OSError as exc:
            if exc.errno in OUT_OF_RESOURCES:
                self._pause_accepting(exc)
            elif exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        client_sock.setblocking(True)
        self.enqueue_req(LingeringConn(self, self.cfg, client_sock, client_addr, listener.getsockname()))

    def set_accept_enabled(self, enabled: bool) -> None:
        """gunicorn's main loop turns accepting back on whenever it has room; not during a pause."""
        if enabled and time.monotonic() < self.accept_paused_until:
            enabled = False
        super().set_accept_enabled(enabled)

    def _pause_accepting(self, exc: OSError) -> None:
        now = time.monotonic()
        self.accept_paused_until = now + ACCEPT_PAUSE
        self.set_accept_enabled(False)
        if now - self.warned_at >= WARN_EVERY:
            self.warned_at = now
            log.warning("cannot accept connections (%s): pausing %.1f s; %d open (raise LimitNOFILE, "
                        "docs/operations.md)", errno.errorcode.get(exc.errno, exc.errno), ACCEPT_PAUSE,
                        self.nr_conns, extra={"event": "accept_paused", "connections": self.nr_conns})


class Lingering:
    """Close connections after the client has closed its side, without blocking the main loop."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lingering: dict = {}  # connection -> (deadline, bytes dropped)

    def linger(self, conn) -> None:
        """Called where gunicorn closes gracefully (its count of connections already lowered)."""
        try:
            conn.sock.shutdown(socket.SHUT_WR)
            conn.sock.setblocking(False)
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_lingering, conn))
        except (OSError, ValueError, KeyError):
            util.close(conn.sock)
            return
        self.nr_conns += 1  # still a descriptor: it counts against worker_connections until closed
        self.lingering[conn] = (time.monotonic() + LINGER_SECONDS, 0)

    def _on_lingering(self, conn, _sock) -> None:
        try:
            data = conn.sock.recv(LINGER_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        deadline, dropped = self.lingering[conn]
        if data and dropped + len(data) < LINGER_BYTES:
            self.lingering[conn] = (deadline, dropped + len(data))
            return
        self._end_linger(conn)

    def _end_linger(self, conn) -> None:
        self.lingering.pop(conn, None)
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass
        util.close(conn.sock)
        self.nr_conns -= 1

    def murder_pending(self) -> None:
        super().murder_pending()
        now = time.monotonic()
        for conn in [c for c, (deadline, _dropped) in self.lingering.items() if deadline <= now]:
            self._end_linger(conn)
