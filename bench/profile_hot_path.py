"""In-process CPU per request: Gatehouse's routes against the bare Flask app, in one process.

Both apps are called as WSGI apps in a loop (no server, no sockets, no access log), by
turns, and timed with `time.process_time()` (CPU of this process: other programs on a
shared machine count less than in wall time). Gatehouse is signed in through its own
forms (test client), so nothing here depends on its internal modules. Each row prints the
bare route's CPU over Gatehouse's: >= 1.0 means Gatehouse's route costs no more than the
bare one. `--profile` prints pyinstrument's call tree for `/api/v1/auth/verify`, `/` and `GET /login`
(`pip install -e '.[bench]'`).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from werkzeug.test import EnvironBuilder

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.e2e.server import gatehouse, gatehouse_env  # noqa: E402

PASSWORD = "benchmark master password"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
# (name, Gatehouse path, credential, bare path, target of bare CPU / Gatehouse CPU or None)
ROWS = [
    ("/api/v1/auth/verify, cookie vs bare 204", "/api/v1/auth/verify", "cookie", "/204", 1.0),
    ("/api/v1/auth/verify, bearer vs bare 204", "/api/v1/auth/verify", "bearer", "/204", 1.0),
    ("/api/v1/auth/forward-auth, cookie vs bare 204", "/api/v1/auth/forward-auth", "cookie", "/204", 1.0),
    ("authenticated / vs bare page", "/", "cookie", "/page", None),
    ("GET /login (first visit) vs bare page", "/login", "none", "/page", None),
    ("/healthz vs bare 204", "/healthz", "none", "/204", None),
]
FORWARDED = {"X-Forwarded-Method": "GET", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "127.0.0.1",
             "X-Forwarded-Uri": "/grafana/d/home"}


def signed_in_app(folder: Path):
    """Gatehouse on a fresh SQLite instance, and header sets: session cookie, bearer token, none."""
    (folder / "instance").mkdir()
    env = gatehouse_env(folder / "instance", GATEHOUSE_LOG_FORMAT="json", GATEHOUSE_SECRET_KEY="bench-" + "k" * 40)
    for args, stdin in ((("db", "upgrade"), None), (("set-password", "--stdin"), PASSWORD + "\n")):
        result = gatehouse(env, *args, stdin=stdin)
        assert result.returncode == 0, result.stderr
    os.environ.update(env)
    from app.factory import create_app

    app = create_app()
    client = app.test_client()
    token = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"csrf_token": token, "password": PASSWORD}).status_code == 303
    cookie = next(c for c in client._cookies.values() if c.key.endswith("gatehouse_session"))
    bearer = app.test_client().post("/api/v1/auth/token", json={"password": PASSWORD}).get_json()["token"]
    credentials = {"cookie": {"Cookie": f"{cookie.key}={cookie.value}"}, "bearer": {"Authorization": f"Bearer {bearer}"},
                   "none": {}}
    return app, credentials


def caller(app, path: str, headers: dict[str, str]):
    """A function serving one request for `path` (a fresh copy of a prepared environ each time)."""
    environ = EnvironBuilder(path=path, headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_environ()
    statuses = []

    def start_response(status, _headers, _exc=None):
        statuses.append(status)

    def call() -> str:
        for _chunk in app(dict(environ), start_response):
            pass
        return statuses.pop()

    return call


class _Sink:
    """The client socket as gunicorn's response writer sees it: everything sent is dropped."""

    def sendall(self, data) -> None:
        pass

    send = sendall


def served_caller(app, path: str, headers: dict[str, str], config: str):
    """Like `caller`, through gunicorn's own request handling as a worker thread runs it (as
    gunicorn's gthread worker's `handle_request` does): its parser on the request's bytes, its
    environ and response writer, and its access line as `config` (a gunicorn config file) sets it,
    written to /dev/null. Not the worker's main loop, the threads or the kernel's socket work: the
    same on both sides of a row."""
    import runpy
    from datetime import datetime

    from gunicorn.config import Config
    from gunicorn.http import wsgi
    from gunicorn.http.parser import RequestParser

    settings = runpy.run_path(str(ROOT / config))
    cfg = Config()
    for name in ("logger_class", "access_log_format"):
        if name in settings:
            cfg.set(name, settings[name])
    cfg.set("accesslog", os.devnull if settings.get("accesslog") else None)
    log = cfg.logger_class(cfg)
    # gunicorn's loggers are the process's `gunicorn.access` and `gunicorn.error`: the next caller's
    # set-up would replace this one's handlers. Each caller keeps a logger of its own.
    own = logging.Logger(log.access_log.name, log.access_log.level)
    own.handlers, own.propagate = list(log.access_log.handlers), log.access_log.propagate
    log.access_log = own
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1:8000", *(f"{k}: {v}" for k, v in headers.items())]
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    sink, client, server = _Sink(), ("127.0.0.1", 50000), ("127.0.0.1", "8000")

    def call() -> str:
        request = next(RequestParser(cfg, [raw], client))
        started = datetime.now()
        response, environ = wsgi.create(request, sink, client, server, cfg)
        environ["wsgi.multithread"] = True
        body = app(environ, response.start_response)
        try:
            for chunk in body:
                response.write(chunk)
            response.close()
        finally:
            log.access(response, request, environ, datetime.now() - started)
            if hasattr(body, "close"):
                body.close()
        return response.status

    return call


def cost(call, requests: int) -> float:
    """CPU seconds per request."""
    started = time.process_time()
    for _ in range(requests):
        call()
    return (time.process_time() - started) / requests


def cpu_rows(requests: int = 2000, rounds: int = 5, profile: bool = False) -> None:
    from bench.peers.bare import app as bare

    with tempfile.TemporaryDirectory() as folder:
        app, credentials = signed_in_app(Path(folder))
        print(f"in-process CPU per request (one process, WSGI calls, {rounds} rounds x {requests} requests by turns):")
        for name, path, credential, bare_path, target in ROWS:
            extra = FORWARDED if "forward-auth" in path else {}
            g, b = caller(app, path, {**credentials[credential], **extra}), caller(bare, bare_path, {})
            status = g()
            if status.startswith("404"):
                print(f"  {name}: SKIPPED ({path} answers 404: not in this build yet)")
                continue
            if status[:3] not in ("200", "204"):
                print(f"  {name}: SKIPPED ({path} answered {status}, not 2xx, with this credential)")
                continue
            assert b()[:3] in ("200", "204"), bare_path
            for _ in range(200):  # warm up: caches, lazily built objects
                g(), b()
            pairs = []
            for n in range(rounds):
                if n % 2 == 0:
                    pairs.append((cost(g, requests), cost(b, requests)))
                else:
                    bare_cost = cost(b, requests)
                    pairs.append((cost(g, requests), bare_cost))
            g_us = statistics.median(p[0] for p in pairs) * 1e6
            b_us = statistics.median(p[1] for p in pairs) * 1e6
            ratio = statistics.median(p[1] / p[0] for p in pairs)
            if target is None:
                verdict = "(reference)"
            else:
                verdict = f"target bare/Gatehouse >= {target:.1f}: {'PASS' if ratio >= target else 'MISS'}"
            print(f"  {name}: {g_us:.0f} vs {b_us:.0f} us, bare/Gatehouse {ratio:.2f}  {verdict}")
        if profile:
            for path, credential in (("/api/v1/auth/verify", "cookie"), ("/", "cookie"), ("/login", "none")):
                print(f"\npyinstrument, {path} ({credential} credential), {requests} requests:")
                run_profile(caller(app, path, credentials[credential]), requests)


def run_profile(call, requests: int) -> None:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0001)
    with profiler:
        for _ in range(requests):
            call()
    print(profiler.output_text(unicode=False, color=False, show_all=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print pyinstrument's call tree for /verify, / and /login")
    args = parser.parse_args()
    cpu_rows(args.requests, args.rounds, args.profile)


if __name__ == "__main__":
    main()
