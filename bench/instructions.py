"""Instructions per request, counted by valgrind's callgrind: a measure that a busy machine does not move.

Wall-clock and even CPU-time figures move with whatever else runs on the cores (docs/performance.md,
"How to read the figures"); the number of instructions a request executes does not. This runs the
in-process rows of bench/profile_hot_path.py (Gatehouse and the bare Flask app of bench/peers/bare.py
called as WSGI apps, no server) in one process under `valgrind --tool=callgrind`, counting only
the measured loops: the set-up runs uninstrumented, and a small C helper (built here with the
system's C compiler and valgrind's `callgrind.h`) zeroes the counters before each row's loop and
dumps them after it. Needs valgrind, its headers (Debian: valgrind) and a C compiler.

    python bench/instructions.py                # every row, 1,000 requests each
    python bench/instructions.py --requests 300 --rows home,login

`--served` calls each app through gunicorn's own request handling instead (its parser, environ,
response writer and access line, as bench/profile_hot_path.py `served_caller` does): what a
worker thread does for a request, less the main loop and the kernel.

The set-up alone takes about a minute and a half under valgrind; each row then about
10 s per 1,000 requests. Counts move by about 1% from run to run (random tokens, a new CSRF
secret per visitor), and a signed-in row by up to 3% more: a browser session's `last_seen`
is written once a minute (docs/security.md), and under valgrind's slowness some runs' loops
contain that write and some do not.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# (name, app, path, credential): "gatehouse" rows are signed in as bench/profile_hot_path.py does.
ROWS = {
    "verify": ("gatehouse", "/api/v1/auth/verify", "cookie"),
    "verify-bearer": ("gatehouse", "/api/v1/auth/verify", "bearer"),
    "forward-auth": ("gatehouse", "/api/v1/auth/forward-auth", "cookie"),
    "home": ("gatehouse", "/", "cookie"),
    "login": ("gatehouse", "/login", "none"),
    "bare-204": ("bare", "/204", "none"),
    "bare-page": ("bare", "/page", "none"),
}
PAIRS = (("verify", "bare-204"), ("verify-bearer", "bare-204"), ("forward-auth", "bare-204"),
         ("home", "bare-page"), ("login", "bare-page"))

HELPER = r"""
#include <valgrind/callgrind.h>
void gh_start(void) { CALLGRIND_START_INSTRUMENTATION; }
void gh_zero(void) { CALLGRIND_ZERO_STATS; }
void gh_dump(const char *label) { CALLGRIND_DUMP_STATS_AT(label); }
void gh_stop(void) { CALLGRIND_STOP_INSTRUMENTATION; }
"""


def build_helper(folder: Path) -> Path:
    """The C helper (callgrind's client requests as four functions), compiled into `folder`."""
    source, library = folder / "helper.c", folder / "helper.so"
    source.write_text(HELPER)
    subprocess.run(["cc", "-O1", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    return library


CONFIGS = {"gatehouse": "gunicorn.conf.py", "bare": "bench/peers/gunicorn.conf.py"}  # for --served


def child(rows: list[str], requests: int, helper_dir: Path, served: bool) -> None:
    """Inside valgrind: set up, warm up, then one zeroed and dumped loop per row."""
    os.environ.setdefault("BENCH_PEER_BIND", "127.0.0.1:0")  # read by bench/peers/gunicorn.conf.py
    from bench.peers.bare import app as bare
    from bench.profile_hot_path import FORWARDED, caller, served_caller, signed_in_app

    helper = ctypes.CDLL(str(build_helper(helper_dir)))
    with tempfile.TemporaryDirectory() as folder:
        app, credentials = signed_in_app(Path(folder))
        calls = {}
        for name in rows:
            which, path, credential = ROWS[name]
            extra = FORWARDED if "forward-auth" in path else {}
            target, sent = (app if which == "gatehouse" else bare), {**credentials[credential], **extra}
            calls[name] = served_caller(target, path, sent, CONFIGS[which]) if served else caller(target, path, sent)
        for name, call in calls.items():
            status = call()
            assert status[:3] in ("200", "204"), f"{name} answered {status}"
            for _ in range(200):  # caches, lazily built objects, the page cache
                call()
        helper.gh_start()
        for name, call in calls.items():
            helper.gh_zero()
            for _ in range(requests):
                call()
            helper.gh_dump(name.encode())
        helper.gh_stop()


def parent(rows: list[str], requests: int, served: bool) -> dict[str, float]:
    if not shutil.which("valgrind"):
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "callgrind.out"
        command = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
                   sys.executable, __file__, "--child", "--rows", ",".join(rows), "--requests", str(requests),
                   "--helper-dir", folder, *(["--served"] if served else [])]
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"valgrind run failed:\n{result.stderr[-3000:]}")
        counts = {}
        for dump in Path(folder).glob("callgrind.out*"):
            text = dump.read_text(errors="replace")
            trigger = re.search(r"^desc: Trigger: Client Request: (\S+)", text, re.M)
            summary = re.search(r"^summary: (\d+)", text, re.M)
            if trigger and summary and trigger.group(1) in ROWS:
                counts[trigger.group(1)] = int(summary.group(1)) / requests
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rows", default=",".join(ROWS), help=f"comma-separated, of: {', '.join(ROWS)}")
    parser.add_argument("--served", action="store_true",
                        help="through gunicorn's request handling and access line (bench/profile_hot_path.py served_caller)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--helper-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    rows = [row for row in args.rows.split(",") if row]
    unknown = set(rows) - set(ROWS)
    if unknown:
        parser.error(f"unknown rows: {', '.join(sorted(unknown))}")
    if args.child:
        child(rows, args.requests, args.helper_dir, args.served)
        return
    counts = parent(rows, args.requests, args.served)
    how = "through gunicorn's request handling" if args.served else "WSGI calls"
    print(f"instructions per request (callgrind, {args.requests} requests per row, in process, {how}):")
    for name in rows:
        print(f"  {name}: {counts.get(name, float('nan')):,.0f}")
    for gatehouse_row, bare_row in PAIRS:
        if gatehouse_row in counts and bare_row in counts:
            print(f"  {gatehouse_row} vs {bare_row}: bare/Gatehouse {counts[bare_row] / counts[gatehouse_row]:.2f}")


if __name__ == "__main__":
    main()
