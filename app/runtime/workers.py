"""The worker check: one serving process unless the state is shared (docs/design.md, "One worker, one instance").

The in-process session cache and login limiter are only correct when one process
serves every request, so more than one gunicorn worker with process-local state is
refused, however the count was asked for. The check runs twice: in gunicorn.conf.py's
`nworkers_changed` hook (the master, where `server.cfg.workers` is final) and when
`wsgi.py` is imported (the worker, which also covers a different config file).

Only this module reads settings at import time (settings are otherwise read by `create_app`), and only these four.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Mapping, Sequence

SHARED_CACHES = {"redis", "none"}
FIX = (
    "Fix: run one worker (drop that setting or set it to 1; GATEHOUSE_THREADS gives a worker more threads), "
    "or share the state between processes with GATEHOUSE_CACHE=redis (or none) and GATEHOUSE_REDIS_URL."
)


class WorkerCheckError(RuntimeError):
    """gunicorn was asked for more than one worker with process-local state (or for --preload).

    The message names the setting and says how to fix it.

    A RuntimeError, not SystemExit: gunicorn prints it and exits 1 from a config hook, and
    halts with exit 3 ("Worker failed to boot") when the import raises it, instead of
    restarting the worker for ever.
    """


def state_is_shared(config: Mapping[str, Any]) -> bool:
    """True when cache and limiter state live outside the process, so several may serve.

    `config` is `app.config` or the environment: both spell the settings GATEHOUSE_*.
    Shared means GATEHOUSE_CACHE is `redis` or `none` and GATEHOUSE_REDIS_URL is set
    (the limiter keeps its counters in Redis).
    """
    cache = config.get("GATEHOUSE_CACHE") or "memory"
    return cache in SHARED_CACHES and bool(config.get("GATEHOUSE_REDIS_URL"))


def requested_workers(environ: Mapping[str, str], cfg: Any = None, argv: Sequence[str] = ()) -> list[tuple[str, int]]:
    """Every worker count that was asked for, as (where it came from, count)."""
    found = []
    for name in ("GATEHOUSE_WORKERS", "WEB_CONCURRENCY"):
        raw = environ.get(name, "").strip()
        if raw:
            found.append((f"{name}={raw}", _count(name, raw)))
    if cfg is not None:
        found.append((_gunicorn_source(environ, cfg, argv), int(cfg.workers)))
    return found


def _count(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise WorkerCheckError(f"{name}={raw!r} is invalid: must be a whole number of worker processes") from None


def _gunicorn_source(environ: Mapping[str, str], cfg: Any, argv: Sequence[str]) -> str:
    """Name the gunicorn setting that produced `cfg.workers`, as a person would look for it."""
    if any(arg == "-w" or arg.startswith(("--workers", "-w")) for arg in argv[1:]):
        return "gunicorn's -w/--workers option"
    if "-w" in environ.get("GUNICORN_CMD_ARGS", "") or "--workers" in environ.get("GUNICORN_CMD_ARGS", ""):
        return f"GUNICORN_CMD_ARGS={environ['GUNICORN_CMD_ARGS']!r}"
    return f"`workers` in the gunicorn config file {getattr(cfg, 'config', None) or '(default)'}"


def check_workers(environ: Mapping[str, str] | None = None, cfg: Any = None, argv: Sequence[str] | None = None) -> None:
    """Raise WorkerCheckError if more than one worker was asked for and state is process-local, or --preload."""
    environ = os.environ if environ is None else environ
    argv = sys.argv if argv is None else argv
    if getattr(cfg, "preload_app", False) is True:
        raise WorkerCheckError(
            "Gatehouse does not run with gunicorn's --preload (preload_app): the app would open its database "
            "and start its background job in gunicorn's master, then fork them. Fix: drop --preload."
        )
    if state_is_shared(environ):
        return
    for source, count in requested_workers(environ, cfg, argv):
        if count > 1:
            raise WorkerCheckError(
                f"Gatehouse refuses to run {count} worker processes ({source}): the session cache and login "
                f"limiter are in-process (GATEHOUSE_CACHE={environ.get('GATEHOUSE_CACHE') or 'memory'}, "
                f"GATEHOUSE_REDIS_URL {'set' if environ.get('GATEHOUSE_REDIS_URL') else 'unset'}) "
                f"and only correct in one process. {FIX}"
            )


def gunicorn_settings() -> Any:
    """gunicorn's final settings while it imports the app, else None.

    gunicorn hands the application no handle on its settings, but its loader (the
    worker's `load_wsgi`, or the arbiter with --preload) is on the call stack while it
    imports wsgi.py, with the resolved `cfg` (env, config file, GUNICORN_CMD_ARGS and
    command line already merged). Reading it from there is read-only.
    """
    frame = sys._getframe(1)
    while frame is not None:
        cfg = getattr(frame.f_locals.get("self"), "cfg", None)
        if type(cfg).__module__ == "gunicorn.config":
            return cfg
        frame = frame.f_back
    return None
