"""Slow clients against real gunicorn: a few stalled sockets must not take the server's threads."""

import socket
import time

import requests

from app.edge.worker import READ_TIMEOUT, request_complete
from tests.support.app import PASSWORD

SLOW_BODY = (b"POST /api/v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             b"Content-Length: 100\r\n\r\n" + b'{"passw')  # 7 of 100 body bytes
SLOW_HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "  # a header block that never ends
SLOW_CHUNKED = (b"POST /api/v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n64\r\n{\"password\": ")  # a chunk that never ends
# Looks complete to the buffer (it ends like a last chunk) but the 0x64-byte chunk is short:
# a thread reads on, and the socket's deadline ends that read.
FOOLING = SLOW_CHUNKED + b'"a\r\n0\r\n\r\n'


def open_slow(port: int, payload: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT + 10)
    sock.sendall(payload)
    return sock


def test_eight_slow_connections_leave_the_server_answering(server):
    port = server.port
    slow = [open_slow(port, payload) for payload in [SLOW_BODY] * 3 + [SLOW_HEAD] * 3 + [SLOW_CHUNKED] * 2]
    try:
        started = time.monotonic()
        for _ in range(3):  # keep trickling, as a slowloris would: no idle timeout can save the server
            for sock in slow[3:6]:
                sock.sendall(b"x")
            assert requests.get(server.url + "/healthz", timeout=2).status_code == 200
            signed_in = requests.post(server.url + "/api/v1/auth/token", json={"password": PASSWORD}, timeout=5)
            assert signed_in.status_code == 200 and signed_in.json()["token"]
            time.sleep(0.5)
        assert time.monotonic() - started < READ_TIMEOUT  # all of that while every slow socket was open
        # Their deadline passes: each gets 408 and is closed, and no thread was ever theirs.
        for sock in slow:
            answer = b""
            while chunk := sock.recv(4096):
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 408 ")
        assert time.monotonic() - started < READ_TIMEOUT + 3
    finally:
        for sock in slow:
            sock.close()
    assert requests.get(server.url + "/healthz", timeout=2).status_code == 200


def test_a_read_inside_a_thread_ends_at_the_deadline(server):
    started = time.monotonic()
    with open_slow(server.port, FOOLING) as fooling:
        assert requests.get(server.url + "/healthz", timeout=2).status_code == 200
        assert fooling.recv(4096).startswith(b"HTTP/1.1 400 ")  # its body read timed out: a bad request
    assert READ_TIMEOUT - 1 < time.monotonic() - started < READ_TIMEOUT + 3


def test_request_complete_knows_head_length_and_chunks():
    head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
    assert not request_complete(head[:-2])
    assert not request_complete(head + b"abcd")
    assert request_complete(head + b"abcde")
    assert request_complete(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    chunked = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert not request_complete(chunked + b"5\r\nhello\r\n")
    assert request_complete(chunked + b"5\r\nhello\r\n0\r\n\r\n")
    assert request_complete(chunked + b"0\r\n\r\n")
    assert request_complete(b"x" * 64 * 1024)  # past the buffer, a thread reads on (under the deadline)
