"""What a user pays for the whole stack: Gatehouse as shipped against a bare Flask app, in one run.

Three gunicorn servers run side by side, each one worker of the same class and threads:
Gatehouse with the shipped `gunicorn.conf.py` (JSON access log on, as shipped), the bare
app of bench/peers/bare.py and the Flask-Login + Flask-SQLAlchemy app of
bench/peers/flask_login_app.py (both without an access log). Every row is a pair measured
by turns (A, B, A, B…; which side goes first alternates by round), with `wrk`; the median
of the per-round ratios is printed beside the issue's target. A machine shared with other
programs moves both sides of a round alike, so the ratios are fair under noise; the
absolute req/s are not, and final figures belong to a quiet machine.

The in-process row (CPU per request, one process, no sockets) comes from
bench/profile_hot_path.py; the flood row from bench/login_flood.py.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.proc import worker_pid  # noqa: E402
from bench.wrk import run, sign_in  # noqa: E402
from tests.e2e.server import BIN, Server, free_port  # noqa: E402

PASSWORD = "benchmark master password"
# What Traefik ForwardAuth sends about the original request.
FORWARDED = {"X-Forwarded-Method": "GET", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "127.0.0.1",
             "X-Forwarded-Uri": "/grafana/d/home"}
# What the nginx subdomain example sends (deploy/nginx/subdomains.conf), for the rules row.
ORIGINAL = {"X-Original-URL": "https://grafana.example.org/d/home?orgId=1", "X-Forwarded-Method": "GET"}


def fifty_rules() -> str:
    """An access rules file (docs/access.md) of 50 rules where only the last matches the request:
    48 tools with bypassed API paths, an admin path closed on every host, then Grafana."""
    rules = [f'[[rule]]\nname = "tool {i}"\nhosts = ["tool{i}.example.org"]\npaths = ["/api/**", "/hooks/*"]\n'
             f'policy = "bypass"\n' for i in range(48)]
    rules.append('[[rule]]\nname = "no admin"\nhosts = ["*.example.org"]\npaths = ["/admin/**"]\npolicy = "deny"\n')
    rules.append('[[rule]]\nname = "grafana"\nhosts = ["grafana.example.org"]\npolicy = "signed_in"\nmax_age = "12h"\n')
    return "[networks]\nhome = [\"192.168.1.0/24\"]\n\n" + "\n".join(rules)


@dataclass
class Row:
    name: str
    target: float | None  # None: printed for reference only
    guarded: tuple[str, str, str]  # (server, path, credential: cookie / bearer / peer / none)
    bare: tuple[str, str]
    skip: str | None = None
    rounds: list[tuple[tuple[float, float], tuple[float, float]]] = field(default_factory=list)
    extra: dict[str, str] | None = None  # headers the proxy adds (default: Traefik's, for forward-auth)


def rows() -> list[Row]:
    return [
        Row("/api/v1/auth/verify, cookie vs bare 204", 1.0, ("gatehouse", "/api/v1/auth/verify", "cookie"), ("bare", "/204")),
        Row("/api/v1/auth/verify, bearer vs bare 204", 1.0, ("gatehouse", "/api/v1/auth/verify", "bearer"), ("bare", "/204")),
        Row("/api/v1/auth/forward-auth, cookie vs bare 204", 1.0,
            ("gatehouse", "/api/v1/auth/forward-auth", "cookie"), ("bare", "/204")),
        Row("/api/v1/auth/forward-auth, bearer vs bare 204", 1.0,
            ("gatehouse", "/api/v1/auth/forward-auth", "bearer"), ("bare", "/204")),
        Row("/api/v1/auth/verify, cookie, 50 access rules (the last one matches) vs bare 204", 1.0,
            ("ruled", "/api/v1/auth/verify", "ruled cookie"), ("bare", "/204"), extra=ORIGINAL),
        Row("authenticated / vs bare page", 0.8, ("gatehouse", "/", "cookie"), ("bare", "/page")),
        Row("GET /login (first visit) vs bare page", 0.6, ("gatehouse", "/login", "none"), ("bare", "/page")),
        Row("peer: Flask-Login + SQLAlchemy / vs bare page", None, ("peer", "/", "peer"), ("bare", "/page")),
    ]


class Peer:
    """A peer app under gunicorn with bench/peers/gunicorn.conf.py (the shipped worker settings)."""

    def __init__(self, module: str, folder: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEHOUSE_", "GUNICORN_", "WEB_CONCURRENCY"))}
        env.update(BENCH_PEER_BIND=f"127.0.0.1:{self.port}", BENCH_PEER_DB=str(folder / f"{self.port}.db"))
        self.log = open(folder / f"{module}.log", "ab")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "bench/peers/gunicorn.conf.py", module],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        for _ in range(int(timeout * 10)):
            if self.process.poll() is not None:
                raise SystemExit(f"{self.url}: gunicorn exited with {self.process.returncode}")
            try:
                requests.get(self.url + path, timeout=5)
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise SystemExit(f"{self.url} did not answer within {timeout}s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)
        self.log.close()


def wrk(url: str, headers: dict[str, str], args, pid: int) -> tuple[float, float]:
    return run(url, headers, args.seconds, args.threads, args.connections, pid)


def gatehouse_credentials(url: str) -> dict[str, dict[str, str]]:
    """Header sets: a browser session cookie (form sign-in) and an API bearer token."""
    bearer = requests.post(url + "/api/v1/auth/token", json={"password": PASSWORD, "label": "bench"}).json()["token"]
    return {"cookie": {"Cookie": sign_in(url, PASSWORD)}, "bearer": {"Authorization": f"Bearer {bearer}"}, "none": {}}


def peer_cookie(url: str) -> dict[str, str]:
    from bench.peers.flask_login_app import PASSWORD as PEER_PASSWORD

    browser = requests.Session()
    assert browser.post(url + "/login", data={"password": PEER_PASSWORD}, allow_redirects=False).status_code == 303
    return {"Cookie": "; ".join(f"{c.name}={c.value}" for c in browser.cookies)}


def _extra(row: Row) -> dict[str, str]:
    if row.extra is not None:
        return row.extra
    return FORWARDED if "forward-auth" in row.guarded[1] else {}


def prepare(rows_: list[Row], urls: dict[str, str], headers: dict[str, dict[str, str]]) -> None:
    """Check each guarded side answers as signed in; a route this build lacks skips its row."""
    for row in rows_:
        server, path, credential = row.guarded
        extra = _extra(row)
        status = requests.get(urls[server] + path, headers={**headers[credential], **extra}, allow_redirects=False).status_code
        if status == 404:
            row.skip = f"{path} answers 404: not in this build yet"
        elif not 200 <= status < 300:
            row.skip = f"{path} answered {status}, not 2xx, with a {credential} credential"


def sides(row: Row, urls, pids, headers) -> tuple[tuple, tuple]:
    """(url, headers, worker pid) of the guarded and the bare side of a row."""
    server, path, credential = row.guarded
    guarded = (urls[server] + path, {**headers[credential], **_extra(row)}, pids[server])
    bare = (urls[row.bare[0]] + row.bare[1], {}, pids[row.bare[0]])
    return guarded, bare


def measure(rows_: list[Row], urls, pids, headers, args) -> None:
    live = [row for row in rows_ if row.skip is None]
    warm = argparse.Namespace(**{**vars(args), "seconds": 1})
    for row in live:
        for url, sent, pid in sides(row, urls, pids, headers):
            wrk(url, sent, warm, pid)
    for n in range(args.rounds):
        for row in live:
            guarded, bare = sides(row, urls, pids, headers)
            if n % 2 == 0:
                got_a = wrk(*guarded[:2], args, guarded[2])
                got_b = wrk(*bare[:2], args, bare[2])
            else:
                got_b = wrk(*bare[:2], args, bare[2])
                got_a = wrk(*guarded[:2], args, guarded[2])
            row.rounds.append((got_a, got_b))
        print(f"  round {n + 1}/{args.rounds} done", file=sys.stderr)


def verdict(ratio: float, target: float | None) -> str:
    if target is None:
        return "(reference)"
    return f"target >= {target:.1f}: {'PASS' if ratio >= target else f'MISS by {target - ratio:.2f}'}"


def machine() -> str:
    """Cores, CPU model, Python and the load average: what a reader needs to weigh the figures."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "unknown CPU")
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} cores ({model}), Python {sys.version.split()[0]}, load average {load}"


def report(rows_: list[Row], args, before: str) -> None:
    print(f"whole stack vs bare Flask: {args.rounds} rounds x {args.seconds}s per side, wrk -t{args.threads}"
          f" -c{args.connections}, by turns; each server 1 gthread worker, shipped threads")
    print(f"  machine: {before}; at the end: load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for row in rows_:
        if row.skip:
            print(f"  {row.name}: SKIPPED ({row.skip})")
            continue
        ratio = statistics.median(a[0] / b[0] for a, b in row.rounds)
        cpu = statistics.median(b[1] / a[1] for a, b in row.rounds)
        a_rate = statistics.median(a[0] for a, _ in row.rounds)
        b_rate = statistics.median(b[0] for _, b in row.rounds)
        a_us = statistics.median(a[1] for a, _ in row.rounds) * 1e6
        b_us = statistics.median(b[1] for _, b in row.rounds) * 1e6
        spread = f"{min(a[0] / b[0] for a, b in row.rounds):.2f}-{max(a[0] / b[0] for a, b in row.rounds):.2f}"
        print(f"  {row.name}: {ratio:.2f}x  {verdict(ratio, row.target)}"
              f"  [{a_rate:.0f} vs {b_rate:.0f} req/s; rounds {spread};"
              f" worker CPU/request {a_us:.0f} vs {b_us:.0f} us, ratio {cpu:.2f}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=3, help="per wrk run (whole seconds)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--no-cpu", action="store_true", help="skip the in-process CPU row")
    parser.add_argument("--only", metavar="TEXT", help="only the rows whose name contains TEXT")
    args = parser.parse_args()
    table = [row for row in rows() if not args.only or args.only in row.name]
    before = machine()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        gatehouse = Server(folder / "instance", GATEHOUSE_BCRYPT_ROUNDS="12")
        gatehouse.prepare(PASSWORD)
        (folder / "access.toml").write_text(fifty_rules())
        ruled = Server(folder / "instance-ruled", GATEHOUSE_BCRYPT_ROUNDS="12",
                       GATEHOUSE_ACCESS_FILE=str(folder / "access.toml"))
        ruled.prepare(PASSWORD)
        peers = {"bare": Peer("bench.peers.bare:app", folder), "peer": Peer("bench.peers.flask_login_app:app", folder)}
        try:
            gatehouse.start()
            ruled.start()
            peers["bare"].wait_ready("/204")
            peers["peer"].wait_ready("/login")
            urls = {"gatehouse": gatehouse.url, "ruled": ruled.url, **{k: p.url for k, p in peers.items()}}
            pids = {"gatehouse": worker_pid(gatehouse.process.pid), "ruled": worker_pid(ruled.process.pid),
                    **{k: worker_pid(p.process.pid) for k, p in peers.items()}}
            headers = {**gatehouse_credentials(gatehouse.url), "peer": peer_cookie(peers["peer"].url),
                       "ruled cookie": {"Cookie": sign_in(ruled.url, PASSWORD)}}
            prepare(table, urls, headers)
            measure(table, urls, pids, headers, args)
        finally:
            gatehouse.stop()
            ruled.stop()
            for peer in peers.values():
                peer.stop()
    report(table, args, before)
    if not args.no_cpu:
        from bench.profile_hot_path import cpu_rows

        cpu_rows()


if __name__ == "__main__":
    main()
