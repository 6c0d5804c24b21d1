"""Chunked request bodies against real gunicorn: over 16 KiB is 413, like a declared length."""

import socket

import pytest

from tests.support.app import PASSWORD


def post_chunked(port: int, path: str, content_type: str, body: bytes) -> tuple[int, bytes]:
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 4000]), body[i:i + 4000]) for i in range(0, len(body), 4000))
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: {content_type}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(head + chunks + b"0\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    return status, answer.partition(b"\r\n\r\n")[2]


@pytest.mark.parametrize("path, content_type, body", [
    ("/login", "application/x-www-form-urlencoded", b"password=" + b"a" * 20000),
    ("/api/v1/auth/login", "application/json", b'{"password": "' + b"a" * 20000 + b'"}'),
    ("/api/v1/auth/token", "application/json", b'{"password": "a", "label": "' + b"b" * 17000 + b'"}'),
])
def test_a_chunked_body_over_16_kib_is_413(server, path, content_type, body):
    status, text = post_chunked(server.port, path, content_type, body)
    assert status == 413
    if path.startswith("/api/"):
        assert b'"error":"payload_too_large"' in text


def test_a_small_chunked_body_is_read_whole(server):
    body = b'{"password": "%s"}' % PASSWORD.encode()
    status, text = post_chunked(server.port, "/api/v1/auth/token", "application/json", body)
    assert status == 200 and b'"token"' in text
