"""`make faults`: Gatehouse under faults, as shipped (gunicorn -c gunicorn.conf.py), with browsers
signing in, browsing and signing out throughout (docs/operations.md, "Faults"; the rule they
check is docs/design.md's "Faults").

Each fault prints its counts: answers, 503s, 5xx other than 503 (must be 0), requests that got
no answer (refused while down, cut by kill -9: expected), sessions lost and revived (both must
be 0) among the sessions checked at the end, and the seconds until serving (or signing in) worked again after each fault (the most
of them; over the fault's limit is a failure: 30 s after kill -9, whose lease must lapse first,
5 s after a Redis stall, 10 s otherwise). Exits 1 if any of that fails. Needs redis-server, the machine's PostgreSQL
(GATEHOUSE_TEST_POSTGRES_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test) and,
for the full disk, root (a tmpfs is mounted).

    python faults/run.py [--only NAME ...]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from faults import outages, scenarios, stack  # noqa: E402

FAULTS = {
    "kill9": scenarios.kill9_browsing,
    "kill9-password": scenarios.kill9_password_changes,
    "kill9-inside-change": outages.kill9_inside_a_change,
    "sigterm": scenarios.sigterm_drain,
    "redis-outage": outages.redis_outage,
    "redis-stall": outages.redis_stall,
    "postgres": outages.postgres_outage,
    "full-disk": outages.full_disk,
}


def line(result) -> str:
    if result.skipped:
        return f"{result.name:<46} skipped: {result.skipped}"
    if result.error:
        return f"{result.name:<46} FAILED: {result.error}"
    tally = result.tally
    others = len(tally.bad)
    recovery = max(result.recovery) if result.recovery else 0.0
    unanswered = sum(tally.failures.values())
    return (f"{result.name:<46} {tally.requests:>7} {tally.statuses.get(503, 0):>5} {others:>7} {unanswered:>9} "
            f"{result.checked:>8} {result.lost:>4} {result.revived:>7} {recovery:>8.1f}  "
            f"{'ok' if result.passed else 'FAILED'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", choices=sorted(FAULTS), help="run these faults only")
    parser.add_argument("--keep", action="store_true", help="keep the instance folders and gunicorn's logs")
    arguments = parser.parse_args()
    names = arguments.only or list(FAULTS)
    print(f"{'fault':<46} {'answers':>7} {'503':>5} {'5xx≠503':>7} {'no answer':>9} {'sessions':>8} {'lost':>4} "
          f"{'revived':>7} {'recovery s':>8}")
    results, started = [], time.monotonic()
    scratch = tempfile.mkdtemp(prefix="gatehouse-faults-")
    try:
        for name in names:
            folder = Path(scratch) / name
            folder.mkdir()
            try:
                result = FAULTS[name](folder)
            except Exception as exc:  # the fault broke the suite itself: say so, stop what it started, go on
                result = scenarios.Result(name, error=f"{type(exc).__name__}: {exc}")
            finally:
                for gatehouse in stack.RUNNING:
                    gatehouse.stop()
                stack.RUNNING.clear()
            results.append(result)
            print(line(result), flush=True)
            for route, status in result.tally.bad[:5]:
                print(f"    {status} from {route}")
            if result.note:
                print(f"    {result.note}")
    finally:
        if arguments.keep:
            print(f"(instance folders and gunicorn's logs kept in {scratch})")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    bad = sum(len(r.tally.bad) for r in results)
    lost, revived = sum(r.lost for r in results), sum(r.revived for r in results)
    others = sum(r.neither + r.cut for r in results)
    print(f"\n{len(results)} faults in {time.monotonic() - started:.0f} s: {bad} × 5xx other than 503, "
          f"{lost} sessions lost, {revived} revived, {others} other failures")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
