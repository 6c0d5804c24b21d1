"""How much the auth check costs: wrk against gunicorn as shipped, by turns, in one run.

(a) `/` (authenticated, served from the session cache) against `/bench/bare` (the same
    template, no auth); (b) `/api/v1/auth/verify` against `/bench/bare-204`.
Several short rounds alternate the pair; the median ratio is printed. Targets: both >= 0.9.
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
from tests.conftest import CSRF_RE  # noqa: E402
from tests.e2e.server import Server  # noqa: E402

PASSWORD = "benchmark master password"


def wrk(url: str, seconds: float, cookie: str, connections: int) -> float:
    """Requests per second that wrk measured."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-H", f"Cookie: {cookie}", url],
        capture_output=True, text=True, check=True,
    ).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise SystemExit(f"{url}: {non_2xx.group(1)} failed responses during the run:\\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def sign_in(url: str) -> str:
    browser = requests.Session()
    token = CSRF_RE.search(browser.get(url + "/login").text).group(1)
    response = browser.post(url + "/login", data={"csrf_token": token, "password": PASSWORD}, allow_redirects=False)
    assert response.status_code == 303, response.status_code
    return f"gatehouse_session={browser.cookies['gatehouse_session']}"


def measure_pairs(server: Server, pairs: dict, rounds: int, seconds: float, connections: int, cookie: str) -> dict:
    ratios: dict[str, list[float]] = {name: [] for name in pairs}
    rates: dict[str, list[tuple[float, float]]] = {name: [] for name in pairs}
    for name, (guarded, bare) in pairs.items():  # warm up both sides once
        wrk(server.url + guarded, 1, cookie, connections)
        wrk(server.url + bare, 1, cookie, connections)
    for _ in range(rounds):
        for name, (guarded, bare) in pairs.items():
            g = wrk(server.url + guarded, seconds, cookie, connections)
            b = wrk(server.url + bare, seconds, cookie, connections)
            ratios[name].append(g / b)
            rates[name].append((g, b))
    return {name: (statistics.median(ratios[name]), rates[name]) for name in pairs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp) / "instance", GATEHOUSE_BCRYPT_ROUNDS="12")
        server.prepare(PASSWORD)
        server.start(app="bench.bench_app:app")
        try:
            cookie = sign_in(server.url)
            pairs = {
                "(a) authenticated page / bare page": ("/", "/bench/bare"),
                "(b) /api/v1/auth/verify / bare 204": ("/api/v1/auth/verify", "/bench/bare-204"),
            }
            results = measure_pairs(server, pairs, args.rounds, args.seconds, args.connections, cookie)
        finally:
            server.stop()
    print(f"auth overhead: {args.rounds} rounds x {args.seconds}s, wrk -t1 -c{args.connections}, 1 gunicorn worker")
    for name, (ratio, rates) in results.items():
        detail = ", ".join(f"{g:.0f}/{b:.0f}" for g, b in rates)
        verdict = "meets" if ratio >= 0.9 else "MISSES"
        print(f"  {name}: median ratio {ratio:.2f} ({verdict} >= 0.9); req/s per round {detail}")


if __name__ == "__main__":
    main()
