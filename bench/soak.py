"""Soak: mixed traffic against gunicorn as shipped for 10 minutes (`--seconds` to shorten).

Two browsers (form login, page views, logout), two API scripts (token or API login,
session, verify, logout), a proxy calling verify (signed in and anonymous) and an
attacker guessing from 5,000 addresses, all on loopback. One session in four is walked
away from instead of logged out, for the purge job (every 60 s) to remove. To let it
within a short run, the soak sets GATEHOUSE_SESSION_IDLE_MINUTES=2 and
GATEHOUSE_SESSION_LIFETIME_MINUTES=5. Reports: 5xx (target 0), worker RSS after warm-up
and at the end (target growth < 10%), session rows at the end, p50/p99 per route.
"""

from __future__ import annotations

import argparse
import signal
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import soak_traffic as traffic  # noqa: E402
from bench.proc import rss_kib, worker_pid  # noqa: E402
from tests.e2e.server import Server  # noqa: E402

PASSWORD = "soak master password, long enough"
SETTINGS = {
    "GATEHOUSE_BCRYPT_ROUNDS": "12",
    "GATEHOUSE_TRUSTED_PROXIES": "127.0.0.1",
    "GATEHOUSE_SESSION_IDLE_MINUTES": "2",
    "GATEHOUSE_SESSION_LIFETIME_MINUTES": "5",
}


def session_rows(database: Path) -> tuple[int, int]:
    """(all rows, unrevoked rows) in login_sessions, read-only."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as conn:
        return conn.execute("SELECT count(*), count(*) - count(revoked_at) FROM login_sessions").fetchone()


def actors(url: str, recorder: traffic.Recorder, deadline: float) -> list[threading.Thread]:
    """The six clients; the legitimate ones signed in once already (see `owner`)."""
    def client(ip: str) -> traffic.Client:
        return traffic.Client(url, recorder, ip)

    plans = [
        (traffic.browser, (owner(client("192.0.2.10")), PASSWORD, deadline)),
        (traffic.browser, (owner(client("192.0.2.11")), PASSWORD, deadline)),
        (traffic.api_script, (owner(client("192.0.2.20")), PASSWORD, deadline)),
        (traffic.api_script, (owner(client("2001:db8::20")), PASSWORD, deadline)),
        (traffic.proxy, (owner(client("127.0.0.1"), keep=True), client("127.0.0.1"), PASSWORD, deadline)),
        (traffic.attacker, (client("10.0.0.9"), deadline)),
    ]
    return [threading.Thread(target=target, args=args, name=target.__name__, daemon=True) for target, args in plans]


def owner(client: traffic.Client, keep: bool = False) -> traffic.Client:
    """Sign in once before the attack, as the real owner would have: the device cookie lets
    the client in while the attacker has spent the global budget. The proxy's client keeps
    its session (it presents it all the time); the others start signed out."""
    client.call("POST /api/v1/auth/login", "POST", "/api/v1/auth/login", json={"password": PASSWORD})
    assert "gatehouse_device" in client.http.cookies, "no device cookie after signing in"
    if not keep:
        client.http.cookies.pop("gatehouse_session", None)
    return client


def run(server: Server, seconds: float, warmup: float) -> dict:
    recorder = traffic.Recorder()
    pid = worker_pid(server.process.pid)
    database = Path(server.env["GATEHOUSE_INSTANCE_DIR"]) / "gatehouse.db"
    rss = {"idle": rss_kib(pid)}
    deadline = time.monotonic() + seconds
    threads = actors(server.url, recorder, deadline)
    for thread in threads:
        thread.start()
    time.sleep(min(warmup, seconds))
    rss["start"], rows_seen = rss_kib(pid), []
    while time.monotonic() < deadline:
        rows_seen.append(session_rows(database)[0])
        time.sleep(min(10, max(0.0, deadline - time.monotonic())))
    for thread in threads:
        thread.join(traffic.TIMEOUT * 2)
    rss["end"] = rss_kib(pid)
    return {"recorder": recorder, "rss": rss, "rows": session_rows(database), "rows_max": max(rows_seen, default=0)}


def report(result: dict, seconds: float, log: str) -> None:
    recorder, rss = result["recorder"], result["rss"]
    total = sum(sum(c.values()) for c in recorder.statuses.values())
    five = {route: sum(n for s, n in c.items() if s >= 500) for route, c in recorder.statuses.items()}
    growth = (rss["end"] - rss["start"]) / rss["start"]
    print(f"soak: {seconds:.0f} s, {total} requests ({total / seconds:.0f}/s), 6 clients, gunicorn as shipped")
    print(f"  5xx: {sum(five.values())} (target 0), of which {recorder.shed} are 503 + Retry-After from the limiter"
          f" (no password-check slot free){'' if not sum(five.values()) else ': ' + str({k: v for k, v in five.items() if v})};"
          f" connection errors: {dict(recorder.errors) or 0}; tracebacks in the server log: {log.count('Traceback')}")
    print(f"  worker RSS: {rss['idle'] / 1024:.1f} MiB idle, {rss['start'] / 1024:.1f} MiB after warm-up,"
          f" {rss['end'] / 1024:.1f} MiB at the end: {growth:+.1%} ({'meets' if growth < 0.10 else 'MISSES'} < 10%)")
    print(f"  session rows at the end: {result['rows'][0]} ({result['rows'][1]} not revoked);"
          f" most seen during the run: {result['rows_max']}")
    print(f"  {'route':<40} {'count':>7} {'p50 ms':>8} {'p99 ms':>8}  statuses")
    for route in sorted(recorder.seconds):
        times = sorted(recorder.seconds[route])
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(recorder.statuses[route].items()))
        print(f"  {route:<40} {len(times):>7} {statistics.median(times) * 1000:>8.1f} {p99 * 1000:>8.1f}  {statuses}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--warmup", type=float, default=None, help="seconds before the start RSS (default: 10%%, at most 60)")
    args = parser.parse_args()
    warmup = args.warmup if args.warmup is not None else min(60.0, args.seconds / 10)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped early: still stop the server
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp) / "instance", **SETTINGS)
        server.prepare(PASSWORD)
        server.start()
        try:
            result = run(server, args.seconds, warmup)
        finally:
            server.stop()
        report(result, args.seconds, server.output())
    five = sum(n for c in result["recorder"].statuses.values() for s, n in c.items() if s >= 500)
    sys.exit(1 if five else 0)


if __name__ == "__main__":
    main()
