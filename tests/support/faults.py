"""Real faults for the tests (docs/design.md, "Faults"): a PostgreSQL backend terminated at a chosen
statement (`pg_terminate_backend`, as an administrator or a failover does), and a tiny file system
that fills up (a tmpfs mounted for the test).

No mocks: the server really drops the connection, the kernel really answers ENOSPC.
"""

from __future__ import annotations

import os
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from sqlalchemy import event, text
from sqlalchemy.engine import Engine



def backend_pid(connection) -> int:
    """The PostgreSQL backend of a SQLAlchemy Connection (psycopg 3)."""
    return connection.connection.dbapi_connection.info.backend_pid


def terminate(admin: Engine, pid: int) -> None:
    """pg_terminate_backend(pid), and wait until the backend is gone."""
    with admin.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        deadline = time.monotonic() + 10
        while connection.execute(text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}).first():
            assert time.monotonic() < deadline, f"backend {pid} still there"
            time.sleep(0.01)


@contextmanager
def terminated_at(engine: Engine, admin: Engine, matches: Callable[[str], bool], times: int = 1) -> Iterator[list]:
    """Terminate the backend of the connection about to run the first `times` statements that
    `matches` (the statement then meets a dead connection). Yields the list of statements it hit."""
    hit: list[str] = []

    def before(connection, _cursor, statement, _parameters, _context, _executemany):
        if len(hit) < times and matches(statement):
            hit.append(statement)
            terminate(admin, backend_pid(connection))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield hit
    finally:
        event.remove(engine, "before_cursor_execute", before)


def starts(*prefixes: str) -> Callable[[str], bool]:
    return lambda statement: statement.lstrip().upper().startswith(tuple(p.upper() for p in prefixes))


@contextmanager
def tiny_filesystem(path: Path, size: str = "1m") -> Iterator[Path | None]:
    """A tmpfs of `size` mounted at `path` (needs root, as CI runs); None when it cannot be mounted.

    faults/run.py (`make faults`) uses it too."""
    path.mkdir(parents=True, exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
                      capture_output=True).returncode != 0:
        yield None
        return
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill(folder: Path) -> Path:
    """A file that takes every free byte of `folder`'s file system (ENOSPC); unlink it to free them."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for chunk in (b"\0" * 65536, b"\0"):  # large writes, then the last bytes one by one
            try:
                while True:
                    os.write(fd, chunk)
            except OSError as exc:
                assert exc.errno == 28, exc  # ENOSPC
    finally:
        os.close(fd)
    return filler
