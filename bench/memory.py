"""Memory: RSS for 100,000 cached sessions, and for the login limiter tracking 1,000,000 addresses.

Sessions are filled through the real validation path; the limiter through its tracker's
real API (judge, reserve, settle a failure), one wrong password from each address, as a
distributed attack would. Each measurement runs in its own forked process, so memory one
freed cannot hide the other's growth. Target: the limiter stays under 64 MiB.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.proc import rss_kib  # noqa: E402
from bench.support import SECRET, add_sessions, bench_app, token_for  # noqa: E402
from app.config import load_settings  # noqa: E402
from app.extensions import session_cache  # noqa: E402
from app.ratelimit.extension import MAX_CLIENTS  # noqa: E402
from app.ratelimit.policy import Policy  # noqa: E402
from app.ratelimit.tracker import Tracker  # noqa: E402
from app.security.client_ip import limit_key  # noqa: E402
from app.services import sessions  # noqa: E402

LIMITER_TARGET_MIB = 64


def cached_sessions(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = bench_app(Path(folder), GATEHOUSE_CACHE_MAX_ENTRIES=count, GATEHOUSE_CACHE_TTL_SECONDS=3600)
        add_sessions(app, count)
        with app.app_context():
            login_sessions.validate(token_for(0))  # load every code path once before measuring
            gc.collect()
            before = rss_kib()
            for i in range(count):
                login_sessions.validate(token_for(i))
            gc.collect()
            after = rss_kib()
            held = len(session_cache.backend)
        print(
            f"memory: {held} cached sessions add {(after - before) / 1024:.1f} MiB RSS"
            f" ({(after - before) * 1024 / max(held, 1):.0f} bytes each); process RSS {after / 1024:.1f} MiB"
        )


def address(n: int) -> str:
    return f"{10 + n // 16_581_375}.{n // 65_025 % 255}.{n // 255 % 255}.{n % 255 + 1}"


def limiter_addresses(count: int, max_clients: int) -> None:
    """One failed check from each of `count` addresses, as the limiter's before_request and
    report() drive the tracker (judge, reserve, unreserve, settle)."""
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings({}, {"GATEHOUSE_INSTANCE_DIR": folder, "GATEHOUSE_SECRET_KEY": SECRET})
    tracker = Tracker(Policy.from_config(settings), max_clients)
    now = 1_700_000_000.0
    gc.collect()
    before = rss_kib()
    for n in range(count):
        now += 0.001
        attempt, _until = tracker.judge("ip:" + limit_key(address(n)), None, now)
        tracker.reserve(attempt)
        tracker.unreserve(attempt)
        tracker.settle(attempt, False, now)
    gc.collect()
    after = rss_kib()
    grown = (after - before) / 1024
    verdict = "meets" if grown < LIMITER_TARGET_MIB else "MISSES"
    print(
        f"memory: limiter after {count:,} addresses tracks {len(tracker.records):,} (max {max_clients:,})"
        f" and {len(tracker.failures)} global failure times: {grown:.1f} MiB RSS ({verdict} < {LIMITER_TARGET_MIB} MiB);"
        f" process RSS {after / 1024:.1f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--addresses", type=int, default=1_000_000)
    parser.add_argument("--max-clients", type=int, default=MAX_CLIENTS, help="GATEHOUSE_LOGIN_MAX_CLIENTS")
    args = parser.parse_args()
    fork = multiprocessing.get_context("fork")
    for target, arguments in ((cached_sessions, (args.sessions,)), (limiter_addresses, (args.addresses, args.max_clients))):
        child = fork.Process(target=target, args=arguments)
        child.start()
        child.join()
        if child.exitcode:
            sys.exit(child.exitcode)


if __name__ == "__main__":
    main()
