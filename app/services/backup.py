"""`gatehouse backup PATH`: a consistent copy of the SQLite database, taken while the server runs.

SQLite's online backup API (Python's `sqlite3.Connection.backup`) copies the pages under one
read transaction, so the copy is the database as of one instant even while workers write (in
WAL mode they keep writing meanwhile). Copying the file with `cp` could catch a half-written
page or miss the WAL. PostgreSQL has its own tool, `pg_dump`, and this refuses to imitate it.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from sqlalchemy.engine import Engine


class BackupError(Exception):
    """The copy cannot be made; the message says why and what to do."""


def backup(engine: Engine, target: Path) -> Path:
    """Copy the database to `target` (mode 0600, replaced atomically if it exists); returns the full path."""
    source = sqlite_file(engine)
    target = Path(target).expanduser().absolute()
    if target.is_dir():
        raise BackupError(f"{target} is a folder: name the file to write, e.g. {target / 'gatehouse-backup.db'}")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} does not exist")
    if target.exists() and target.samefile(source):
        raise BackupError(f"{target} is the live database itself: choose another file")
    fd, temporary = tempfile.mkstemp(prefix=".gatehouse-backup-", dir=target.parent)  # mode 0600 from the start
    os.close(fd)
    try:
        _copy(engine, temporary)
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def sqlite_file(engine: Engine) -> Path:
    """The file of the SQLite database `engine` opens. :raise BackupError: not SQLite, or in memory."""
    if engine.dialect.name != "sqlite":
        database = engine.url.database or "DBNAME"  # the name only: never the URL, which may hold a password
        raise BackupError(
            f"gatehouse backup copies SQLite databases; this one is {engine.dialect.name}. "
            f"Use its own tool, e.g. `pg_dump --format=custom --file=PATH {database}` "
            "(docs/operations.md, 'Backup and restore')."
        )
    if not engine.url.database or engine.url.database == ":memory:":
        raise BackupError("the database lives in memory: there is no file to copy")
    return Path(engine.url.database)


def _copy(engine: Engine, temporary: str) -> None:
    raw = engine.raw_connection()  # the app's own settings: busy timeout, WAL
    try:
        copy = sqlite3.connect(temporary)
        try:
            raw.driver_connection.backup(copy)  # all pages in one step: one consistent snapshot
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            verdict = copy.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            copy.close()
    finally:
        raw.close()
    if verdict != "ok":
        raise BackupError(f"the copy failed SQLite's quick_check ({verdict}); the live database may need attention")
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())  # on disk before it replaces an older backup
