"""Reloading under gunicorn (docs/access.md, "Reloading"): SIGHUP re-reads the access rules in
every serving process, in place.

gunicorn's own SIGHUP starts new workers and stops the old ones. For Gatehouse that would drop
each worker's cache and kept pages, and a new worker that finds a broken rules file fails to
boot, which halts gunicorn altogether: the opposite of "a broken file keeps the old rules". So
the master's handler is replaced (`relay_to_workers`, from gunicorn.conf.py's `when_ready`):
it passes SIGHUP on to the workers, each of which re-reads the file on a thread of its own
(`listen`, from `post_worker_init`) and keeps its rules when the new file is broken. Nothing
else is reloaded: settings and code changes need a restart (`systemctl restart gatehouse`),
which the upgrade steps do anyway (`gatehouse db upgrade` runs before the start).

No app imports here: the master loads this module without loading the application.
"""

from __future__ import annotations

import signal
import threading
from typing import Any, Callable


def relay_to_workers(server: Any) -> None:
    """In gunicorn's master: SIGHUP goes to every worker instead of replacing them.

    gunicorn's main loop looks its handlers up by name on the arbiter (`handle_hup`), so an
    attribute on this arbiter replaces the method for it alone.
    """

    def handle_hup() -> None:
        server.log.info("Hang up: asking the workers to re-read the access rules")
        server.log.reopen_files()  # what gunicorn's own SIGHUP also does for log files
        server.kill_workers(signal.SIGHUP)

    server.handle_hup = handle_hup


def listen(reload: Callable[[], Any]) -> bool:
    """In a worker's main thread: on SIGHUP, run `reload` on a thread of its own (file reads and
    log lines do not belong in a signal handler). False when not on the main thread (a server
    that never ran gunicorn.conf.py's hooks): signals are then left alone."""
    if threading.current_thread() is not threading.main_thread():
        return False

    def on_hup(_signum, _frame) -> None:
        threading.Thread(target=reload, name="gatehouse-reload", daemon=True).start()

    signal.signal(signal.SIGHUP, on_hup)
    return True
