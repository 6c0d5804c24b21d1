"""Profile the hot path once: `/` and `/api/v1/auth/verify` for a cached session, in process.

Drives the WSGI app directly (no server, no sockets) so the profile shows the app, and
prints the CPU cost per request of each route against its bare twin from bench/bare.py:
the difference is what the auth check costs. `--profile` prints pyinstrument's call tree
(`pip install -e '.[bench]'`); py-spy on the running gunicorn works as well:
`py-spy record -o profile.svg --pid WORKER_PID` during `bench/auth_overhead.py`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event
from werkzeug.test import EnvironBuilder

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from app.web import session as access  # noqa: E402
from app.extensions import db  # noqa: E402
from app.services import master_password, sessions  # noqa: E402
from bench.bare import add_bare_routes  # noqa: E402
from bench.support import bench_app  # noqa: E402

ROUTES = {"/": "/bench/bare", "/api/v1/auth/verify": "/bench/bare-204"}


def signed_in_app(folder: Path):
    """A migrated app with the bare routes, a master password and one browser session."""
    app = bench_app(folder, GATEHOUSE_BCRYPT_ROUNDS=4, GATEHOUSE_COOKIE_SECURE=False)
    add_bare_routes(app)
    with app.app_context():
        master_password.set_first("benchmark master password")
        token = login_sessions.create(login_sessions.BROWSER, "127.0.0.1", "bench").token
        cookie = f"{access.cookie_name()}={access.signer().sign(token)}"
    return app, cookie


def caller(app, path: str, cookie: str):
    """A function serving one request for `path` (fresh copy of a prepared environ each time)."""
    environ = EnvironBuilder(path=path, headers={"Cookie": cookie}, environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_environ()
    statuses = []

    def start_response(status, _headers, _exc=None):
        statuses.append(status)

    def call() -> str:
        for _chunk in app(dict(environ), start_response):
            pass
        return statuses.pop()

    return call


def work_per_request(app, call, requests: int) -> str:
    """SQL statements run and templates compiled while serving `requests` (both should be 0)."""
    counts = {"sql": 0, "compiled": 0}
    with app.app_context():
        engine = db.engine

    def statement(*_args, **_kwargs):
        counts["sql"] += 1

    compile_template = app.jinja_env.compile

    def compiled(*args, **kwargs):
        counts["compiled"] += 1
        return compile_template(*args, **kwargs)

    event.listen(engine, "before_cursor_execute", statement)
    app.jinja_env.compile = compiled
    try:
        for _ in range(requests):
            call()
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        del app.jinja_env.compile
    return f"{counts['sql']} SQL statements, {counts['compiled']} templates compiled in {requests} requests"


def cost(call, requests: int) -> float:
    """CPU seconds per request (process time: other programs on a shared machine count less)."""
    started = time.process_time()
    for _ in range(requests):
        call()
    return (time.process_time() - started) / requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print pyinstrument's call tree for each route")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app, cookie = signed_in_app(Path(folder))
        for guarded, bare in ROUTES.items():
            g, b = caller(app, guarded, cookie), caller(app, bare, cookie)
            assert g()[:3] in ("200", "204") and b()[:3] in ("200", "204"), "not signed in"
            pairs = [(cost(g, args.requests), cost(b, args.requests)) for _ in range(args.rounds)]
            g_us = statistics.median(p[0] for p in pairs) * 1e6
            b_us = statistics.median(p[1] for p in pairs) * 1e6
            print(f"{guarded}: {g_us:.0f} us CPU per request, {bare}: {b_us:.0f} us;"
                  f" auth costs {g_us - b_us:.0f} us; ratio (bare/guarded) {b_us / g_us:.2f};"
                  f" {work_per_request(app, g, 500)}")
            if args.profile:
                profile(g, args.requests)


def profile(call, requests: int) -> None:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0001)
    with profiler:
        for _ in range(requests):
            call()
    print(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    main()
