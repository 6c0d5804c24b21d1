"""The worker (app/edge/worker.py, app/edge/sockets.py) against real gunicorn, for what issue 22 found
on 0702507: `Expect: 100-continue` never answered, a `Content-Length: ²` that made the early
parser raise (a traceback per request during a flood), clients that keep a closed connection
open stalling the main loop, and EMFILE on accept ending the worker."""

from __future__ import annotations

import json
import resource
import socket
import time
from pathlib import Path

import requests

from app.ratelimit.extension import FLOOD_REFUSALS
from tests.e2e.server import Server
from tests.support.app import CSRF_RE, PASSWORD

TOKEN_BODY = json.dumps({"password": PASSWORD}).encode()


def read_answer(sock: socket.socket) -> bytes:
    answer = b""
    while chunk := sock.recv(65536):
        answer += chunk
    return answer


def test_expect_100_continue_is_answered_before_the_body_is_sent(server):
    head = (b"POST /api/v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Connection: close\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(TOKEN_BODY))
    with socket.create_connection(("127.0.0.1", server.port), timeout=3) as sock:
        sock.sendall(head)
        assert sock.recv(4096) == b"HTTP/1.1 100 Continue\r\n\r\n"  # a client waits for this before its body
        sock.sendall(TOKEN_BODY)
        answer = read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 200 ") and b'"token"' in answer
    assert b"100 Continue" not in answer  # said once, not again by gunicorn


def test_a_body_sent_without_waiting_gets_no_100_continue(server):
    head = (b"POST /api/v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Connection: close\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(TOKEN_BODY))
    with socket.create_connection(("127.0.0.1", server.port), timeout=3) as sock:
        sock.sendall(head + TOKEN_BODY)
        assert read_answer(sock).startswith(b"HTTP/1.1 200 ")


def test_a_head_that_fills_the_buffer_is_431_at_once_without_a_thread(server):
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: " + b"a" * (64 * 1024)  # and it never ends
    with socket.create_connection(("127.0.0.1", server.port), timeout=3) as sock:
        sock.sendall(head)
        assert read_answer(sock).startswith(b"HTTP/1.1 431 ")
    assert requests.get(server.url + "/healthz", timeout=2).status_code == 200


def guess(url: str, address: str, password: str = "wrong guess") -> int:
    browser = requests.Session()
    token = CSRF_RE.search(browser.get(url + "/login").text).group(1)
    return browser.post(url + "/login", data={"csrf_token": token, "password": password},
                        headers={"X-Forwarded-For": address}, allow_redirects=False).status_code


def test_a_content_length_int_cannot_read_is_a_400_without_a_traceback_during_a_flood(tmp_path):
    server = Server(tmp_path / "instance", GATEHOUSE_TRUSTED_PROXIES="127.0.0.1", GATEHOUSE_LOGIN_BAN="2/900")
    server.prepare(PASSWORD)
    server.start()
    try:
        assert guess(server.url, "203.0.113.5") == 401
        time.sleep(0.6)
        assert guess(server.url, "203.0.113.5") == 401
        for _ in range(FLOOD_REFUSALS):  # a flood's numbers: guesses are judged by the early refusal now
            assert guess(server.url, "203.0.113.5") == 429
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
                # "²" (latin-1 0xB2): str.isdigit() says yes, int() refuses it.
                sock.sendall(b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: 203.0.113.5\r\n"
                             b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \xb2\r\n\r\nx")
                assert read_answer(sock).startswith(b"HTTP/1.1 400 ")
        assert requests.get(server.url + "/healthz", timeout=3).status_code == 200
    finally:
        server.stop()
    log = server.output()
    assert "Traceback" not in log and "early answer failed" not in log
    assert not [line for line in log.splitlines() if '"level": "error"' in line]


def test_clients_that_keep_closed_connections_open_do_not_stall_the_others(server):
    """On gunicorn's own close each waited two seconds in the main loop: five requests took six seconds."""
    kept = []
    try:
        for _ in range(3):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            kept.append(sock)  # never read, never closed
        time.sleep(0.2)
        started = time.monotonic()
        for _ in range(5):
            assert requests.get(server.url + "/healthz", timeout=5).status_code == 200
        assert time.monotonic() - started < 1.5
        for sock in kept:  # each got its answer, and the worker closed its side
            assert read_answer(sock).startswith(b"HTTP/1.1 200 ")
    finally:
        for sock in kept:
            sock.close()


def worker_pid(server: Server) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise AssertionError("gunicorn has no worker")


def open_descriptors(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


def test_running_out_of_file_descriptors_pauses_accepting_and_the_worker_lives_on(server):
    worker = worker_pid(server)
    assert requests.get(server.url + "/", timeout=5).status_code in (200, 303)  # its database is open
    limit = open_descriptors(worker) + 8
    resource.prlimit(worker, resource.RLIMIT_NOFILE, (limit, limit))
    crowd = []
    try:
        for _ in range(40):  # far past its limit; the kernel queues what the worker cannot accept yet
            crowd.append(socket.create_connection(("127.0.0.1", server.port), timeout=5))
        time.sleep(1.5)
        assert worker_pid(server) == worker  # the same process: it did not die of EMFILE
        for sock in crowd:
            sock.close()
        crowd = []
        time.sleep(1)
        answers = [requests.get(server.url + "/healthz", timeout=5).status_code for _ in range(5)]
        assert answers == [200] * 5 and worker_pid(server) == worker
    finally:
        for sock in crowd:
            sock.close()
    log = server.output()
    assert "exited with code" not in log and "Booting worker" in log
    assert '"event": "accept_paused"' in log


def test_a_cookie_that_is_not_utf8_is_read_as_werkzeug_reads_it_never_a_500(server):
    """Bytes no UTF-8 decoder accepts in `Cookie` (a client's, or a proxy's mangling): every route
    answers as for a cookie it does not know (found by the speed pass; was a 500 with a traceback)."""
    for path, expected in (("/", b"303"), ("/login", b"200"), ("/api/v1/auth/verify", b"401"),
                           ("/api/v1/auth/session", b"401"), ("/healthz", b"200")):
        request = (b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                   b"Cookie: gatehouse_session=\xff\xfe\xc3; gatehouse_csrf=\xff; gatehouse_device=\xc3\x28\r\n\r\n")
        with socket.create_connection(("127.0.0.1", server.port), timeout=3) as sock:
            sock.sendall(request)
            assert read_answer(sock).split(b" ", 2)[1] == expected, path
    assert "Traceback" not in server.log.read_text(errors="replace")
