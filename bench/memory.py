"""Memory: RSS growth for 100,000 cached sessions, filled through the real validation path."""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.support import add_sessions, bench_app, rss_kib, token_for  # noqa: E402
from app.extensions import session_cache  # noqa: E402
from app.services import sessions  # noqa: E402


def cached_sessions(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = bench_app(Path(folder), GATEHOUSE_CACHE_MAX_ENTRIES=count, GATEHOUSE_CACHE_TTL_SECONDS=3600)
        add_sessions(app, count)
        with app.app_context():
            sessions.validate(token_for(0))  # load every code path once before measuring
            gc.collect()
            before = rss_kib()
            for i in range(count):
                sessions.validate(token_for(i))
            gc.collect()
            after = rss_kib()
            held = len(session_cache.backend)
        print(
            f"memory: {held} cached sessions add {(after - before) / 1024:.1f} MiB RSS"
            f" ({(after - before) * 1024 / max(held, 1):.0f} bytes each); process RSS {after / 1024:.1f} MiB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=100_000)
    args = parser.parse_args()
    cached_sessions(args.sessions)


if __name__ == "__main__":
    main()
