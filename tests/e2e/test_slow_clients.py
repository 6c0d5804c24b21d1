"""Slow clients against real gunicorn: a few stalled sockets must not take the server's threads."""

import socket
import time

import requests

import pytest

from app.edge.worker import READ_TIMEOUT
from tests.support.app import PASSWORD

SLOW_BODY = (b"POST /api/v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             b"Content-Length: 100\r\n\r\n" + b'{"passw')  # 7 of 100 body bytes
SLOW_HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "  # a header block that never ends
SLOW_CHUNKED = (b"POST /api/v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n64\r\n{\"password\": ")  # a chunk that never ends
# Found on 0702507 (issue 22): a first chunk that declares 0x40 bytes and starts with what looks
# like the last chunk. The worker's old regular expression took it for a whole request and a
# thread waited 10 s for the rest; h11 reads 7 of 64 bytes (app/edge/http_reader.py).
FOOLING = (b"POST /api/v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
           b"Transfer-Encoding: chunked\r\n\r\n40\r\n\r\n0\r\n\r\n")
# Also found on 0702507: a body longer than the worker's 64 KiB buffer, not all sent. The app
# answered 413 at once, then the thread read on for the rest until the deadline.
OVERSIZED = (b"POST /api/v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             b"Content-Length: 70000\r\n\r\n" + b"x" * 65536)


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


def assert_answering(url: str) -> None:
    """/healthz, a forward-auth check and the admin's sign-in, each at once (a stall takes 10 s)."""
    started = time.monotonic()
    assert requests.get(url + "/healthz", timeout=3).status_code == 200
    assert requests.get(url + "/api/v1/auth/verify", timeout=3).status_code == 401
    signed_in = requests.post(url + "/api/v1/auth/token", json={"password": PASSWORD}, timeout=5)
    assert signed_in.status_code == 200 and signed_in.json()["token"]
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("payload", [FOOLING, OVERSIZED], ids=["chunk-that-looks-last", "body-past-the-buffer"])
def test_four_stalling_requests_take_no_thread(server, payload):
    """One per thread (GATEHOUSE_THREADS=4): on 0702507 each held a thread for 10 s."""
    stalling = [open_slow(server.port, payload) for _ in range(4)]
    try:
        time.sleep(0.3)  # the worker has read them all
        assert_answering(server.url)
        assert_answering(server.url)
        if payload is OVERSIZED:  # the app refuses it at once, and the connection closes after the answer
            for sock in stalling:
                sock.settimeout(3)
                answer = b""
                while chunk := sock.recv(65536):
                    answer += chunk
                assert answer.startswith(b"HTTP/1.1 413 ") and b"payload_too_large" in answer
    finally:
        for sock in stalling:
            sock.close()


def test_a_chunk_that_only_looks_last_waits_in_the_main_loop_until_its_deadline(server):
    started = time.monotonic()
    with open_slow(server.port, FOOLING) as fooling:
        assert requests.get(server.url + "/healthz", timeout=2).status_code == 200
        assert fooling.recv(4096).startswith(b"HTTP/1.1 408 ")  # never complete: no thread ever read it
    assert READ_TIMEOUT - 1 < time.monotonic() - started < READ_TIMEOUT + 3
