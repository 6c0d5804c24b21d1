"""Scale-out throughput: the authenticated page `/` with 2 gunicorn workers on Redis against
1 worker with the in-process cache, as a ratio in one run.

Both servers run side by side with the shipped gunicorn config (gthread, GATEHOUSE_THREADS
threads), each on its own SQLite file; the session check is answered by the cache (Redis, a
private redis-server started for the run, or process memory), the database is barely
touched. wrk measures them by turns in several short rounds; the median of the per-round
ratios is printed. wrk shares the machine's cores with the workers: on 2 cores, 2 workers
cannot double anything, and the ratio shows what Redis round trips cost and a second
process gains.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.auth_overhead import PASSWORD, sign_in, wrk  # noqa: E402
from tests.e2e.server import Server  # noqa: E402
from tests.support.redis import RedisServer  # noqa: E402


def serve(folder: Path, workers: int, **env: str) -> Server:
    """A gunicorn with `workers` workers, all booted, and the master password set."""
    server = Server(folder / "instance", GATEHOUSE_BCRYPT_ROUNDS="12", **env)
    server.prepare(PASSWORD)
    server.start("-w", str(workers))
    deadline = time.monotonic() + 60
    while server.output().count('"event": "serving"') < workers:
        if time.monotonic() > deadline:
            server.stop()
            raise SystemExit(f"{workers} workers did not boot:\n{server.output()}")
        time.sleep(0.2)
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=4)  # wrk takes whole seconds
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    redis_server = RedisServer().start()
    servers: list[Server] = []
    try:
        with tempfile.TemporaryDirectory() as one_dir, tempfile.TemporaryDirectory() as two_dir:
            servers.append(serve(Path(one_dir), 1, GATEHOUSE_CACHE="memory"))
            servers.append(serve(Path(two_dir), 2, GATEHOUSE_CACHE="redis", GATEHOUSE_REDIS_URL=redis_server.url))
            one, two = servers
            cookies = [sign_in(s.url) for s in servers]
            for server, cookie in zip(servers, cookies):  # warm up: caches filled, every worker busy once
                wrk(server.url + "/", 1, cookie, args.connections)
            rates = []
            for _ in range(args.rounds):
                rates.append((wrk(one.url + "/", args.seconds, cookies[0], args.connections),
                              wrk(two.url + "/", args.seconds, cookies[1], args.connections)))
    finally:
        for server in servers:
            server.stop()
        redis_server.stop()
    ratio = statistics.median(b / a for a, b in rates)
    print(f"scale-out: {args.rounds} rounds x {args.seconds}s, wrk -t1 -c{args.connections}, authenticated /")
    print(f"  2 workers on Redis / 1 worker in-process: median ratio {ratio:.2f}; "
          f"req/s per round (1 worker/2 workers) {', '.join(f'{a:.0f}/{b:.0f}' for a, b in rates)}")


if __name__ == "__main__":
    main()
