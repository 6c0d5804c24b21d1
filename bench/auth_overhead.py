"""How much the auth check costs: wrk against gunicorn as shipped, by turns, in one run.

(a) `/` (authenticated, served from the session cache) against `/bench/bare` (the same
    template, no auth); (b) `/api/v1/auth/verify` against `/bench/bare-204`.
Several short rounds alternate each pair (which side goes first alternates too); the
median ratio is printed. Targets: both >= 0.9. Two ratios per pair: throughput (what
the issue asks) and the worker's CPU time per request (bare / guarded), which moves much
less when other programs share the machine.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.proc import cpu_seconds, worker_pid  # noqa: E402
from tests.conftest import CSRF_RE  # noqa: E402
from tests.e2e.server import Server  # noqa: E402

PASSWORD = "benchmark master password"
PAIRS = {
    "(a) authenticated page / vs bare page": ("/", "/bench/bare"),
    "(b) /api/v1/auth/verify vs bare 204": ("/api/v1/auth/verify", "/bench/bare-204"),
}


def wrk(url: str, seconds: int, cookie: str, connections: int, pid: int) -> tuple[float, float]:
    """(requests per second, worker CPU seconds per request) for one wrk run."""
    cpu = cpu_seconds(pid)
    run = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-H", f"Cookie: {cookie}", url],
        capture_output=True, text=True,
    )
    cpu = cpu_seconds(pid) - cpu
    if run.returncode != 0:
        raise SystemExit(f"wrk failed on {url}:\n{run.stdout}{run.stderr}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", run.stdout)
    if non_2xx:
        raise SystemExit(f"{url}: {non_2xx.group(1)} failed responses during the run:\n{run.stdout}")
    done = int(re.search(r"(\d+) requests in", run.stdout).group(1))
    return float(re.search(r"Requests/sec:\s+([\d.]+)", run.stdout).group(1)), cpu / done


def sign_in(url: str) -> str:
    browser = requests.Session()
    token = CSRF_RE.search(browser.get(url + "/login").text).group(1)
    response = browser.post(url + "/login", data={"csrf_token": token, "password": PASSWORD}, allow_redirects=False)
    assert response.status_code == 303, response.status_code
    return f"gatehouse_session={browser.cookies['gatehouse_session']}"


def measure(url: str, pid: int, args, cookie: str) -> dict[str, list[tuple]]:
    """Per pair, one (guarded, bare) measurement per round."""
    rounds: dict[str, list[tuple]] = {name: [] for name in PAIRS}
    for guarded, bare in PAIRS.values():  # warm up both sides once
        wrk(url + guarded, 1, cookie, args.connections, pid)
        wrk(url + bare, 1, cookie, args.connections, pid)
    for n in range(args.rounds):
        for name, (guarded, bare) in PAIRS.items():
            order = (guarded, bare) if n % 2 == 0 else (bare, guarded)
            got = {path: wrk(url + path, args.seconds, cookie, args.connections, pid) for path in order}
            rounds[name].append((got[guarded], got[bare]))
    return rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=int, default=3, help="per wrk run (whole seconds)")
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp) / "instance", GATEHOUSE_BCRYPT_ROUNDS="12")
        server.prepare(PASSWORD)
        server.start(app="bench.bench_app:app")
        try:
            results = measure(server.url, worker_pid(server.process.pid), args, sign_in(server.url))
        finally:
            server.stop()
    print(f"auth overhead: {args.rounds} rounds x {args.seconds}s per side, wrk -t1 -c{args.connections},"
          " gunicorn as shipped (1 worker, 4 threads)")
    for name, rounds in results.items():
        rate = statistics.median(g[0] / b[0] for g, b in rounds)
        cpu = statistics.median(b[1] / g[1] for g, b in rounds)
        detail = ", ".join(f"{g[0]:.0f}/{b[0]:.0f}" for g, b in rounds)
        g_us = statistics.median(g[1] for g, _ in rounds) * 1e6
        b_us = statistics.median(b[1] for _, b in rounds) * 1e6
        print(f"  {name}: median throughput ratio {rate:.2f} ({'meets' if rate >= 0.9 else 'MISSES'} >= 0.9);"
              f" worker CPU per request {g_us:.0f} vs {b_us:.0f} us, ratio {cpu:.2f}; req/s per round {detail}")


if __name__ == "__main__":
    main()
