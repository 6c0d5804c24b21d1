"""Session validation with the cache off: 100,000 rows against 10 rows (target <= 1.2x).

The token hash is a unique index, so a lookup should not grow with the table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.support import add_sessions, bench_app, token_for  # noqa: E402
from app.services import sessions  # noqa: E402


def time_validations(app, tokens: list[str]) -> float:
    """Seconds per validation, over `tokens`."""
    with app.app_context():
        started = time.perf_counter()
        for token in tokens:
            assert login_sessions.validate(token) is not None
        return (time.perf_counter() - started) / len(tokens)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as small_dir, tempfile.TemporaryDirectory() as big_dir:
        small = bench_app(Path(small_dir), GATEHOUSE_CACHE="none")
        big = bench_app(Path(big_dir), GATEHOUSE_CACHE="none")
        add_sessions(small, 10)
        add_sessions(big, args.rows)
        small_tokens = [token_for(i % 10) for i in range(args.checks)]
        step = max(1, args.rows // args.checks)
        big_tokens = [token_for((i * step) % args.rows) for i in range(args.checks)]
        time_validations(small, small_tokens[:200])  # warm up
        time_validations(big, big_tokens[:200])
        ratios = []
        for _ in range(args.rounds):
            s = time_validations(small, small_tokens)
            b = time_validations(big, big_tokens)
            ratios.append(b / s)
        print(
            f"db scale (cache off, SQLite): {args.rows} rows vs 10 rows, {args.checks} validations x {args.rounds} rounds:"
            f" median ratio {statistics.median(ratios):.2f} ({'meets' if statistics.median(ratios) <= 1.2 else 'MISSES'} <= 1.2);"
            f" last round {s * 1e6:.0f} us vs {b * 1e6:.0f} us per validation"
        )


if __name__ == "__main__":
    main()
