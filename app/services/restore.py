"""`gatehouse restore FILE`: put a backup (app/services/backup.py) back in place of the SQLite
database (docs/operations.md, "Backup and restore").

In this order, so that a refusal changes nothing and a failure half-way leaves the live
database as it was:

1. `check`: FILE is a SQLite database of ours that passes `PRAGMA integrity_check`, and its
   migration revision is one this code knows (not newer than the code).
2. Refuse while an instance serves: a live instance lease in the database (app/runtime/lease.py).
3. Prepare a copy beside the live file (SQLite's backup API, mode 0600): migrated to the code's
   revision, the instance lease it carried removed (a backup taken while serving holds the live
   lease, which would refuse the next start), and, unless asked to keep them, its sessions
   signed out (sessions revoked after the backup would otherwise live again).
4. Keep the replaced database beside it (`gatehouse.db.replaced-<UTC time>`, a consistent copy,
   WAL included), then move the prepared copy into place.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.database import alembic_config, upgrade
from app.models import LoginSession, utcnow
from app.runtime import lease
from app.services.backup import BackupError, backup, sqlite_file

HEADER = b"SQLite format 3\x00"
OUR_TABLES = frozenset({"alembic_version", "login_sessions", "settings"})


class RestoreError(Exception):
    """The backup cannot be put back; the message says why and what to do. Nothing was changed."""


@dataclass(frozen=True)
class Backup:
    path: Path
    revision: str  # the backup's migration revision
    head: str  # this code's


@dataclass(frozen=True)
class Restored:
    database: Path
    kept: Path | None  # the database it replaced, kept beside it (None: there was none)
    revision_before: str
    revision: str
    sessions_ended: int


def check(path: Path) -> Backup:
    """What FILE is, if it is a backup this code can restore. :raise RestoreError: it is not."""
    path = Path(path).expanduser().absolute()
    if not path.is_file():
        raise RestoreError(f"{path} is not a file")
    with open(path, "rb") as handle:
        if handle.read(len(HEADER)) != HEADER:
            raise RestoreError(f"{path} is not a SQLite database (a file from `gatehouse backup` is one)")
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            verdict = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            versions = ([row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]
                        if "alembic_version" in tables else [])
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise RestoreError(f"{path} cannot be read as a SQLite database ({exc})") from None
    if verdict != ["ok"]:
        raise RestoreError(f"{path} fails SQLite's integrity check ({'; '.join(verdict[:3])}): it is damaged")
    if not OUR_TABLES <= tables or len(versions) != 1:
        raise RestoreError(f"{path} is a SQLite database, but not one of Gatehouse's")
    scripts = ScriptDirectory.from_config(alembic_config(None))
    head = scripts.get_current_head()
    try:
        known = scripts.get_revision(versions[0]) is not None
    except Exception:  # noqa: BLE001 - Alembic raises its own errors for an unknown revision
        known = False
    if not known:
        raise RestoreError(f"{path} is at revision {versions[0]!r}, which this Gatehouse does not know (its newest "
                           f"is {head}): it was made by a newer version; install that version (or a later one) first")
    return Backup(path, versions[0], head)


def serving(engine: Engine, now: datetime | None = None) -> lease.Lease | None:
    """The live instance lease: an instance serves from this database (None: none does)."""
    try:
        found = lease.current(engine)
    except SQLAlchemyError:  # no database yet, or one from before the lease existed
        return None
    return found if found is not None and found.expires_at > (now or utcnow()) else None


def restore(engine: Engine, source: Path, *, keep_sessions: bool = False) -> Restored:
    """Replace the database `engine` opens with the backup at `source` (see the module's steps).

    :raise RestoreError: not restorable (nothing changed). :raise BackupError: not SQLite.
    """
    live = sqlite_file(engine)
    found = check(source)
    if live.exists() and live.samefile(found.path):
        raise RestoreError(f"{found.path} is the live database itself: name a backup file")
    if not live.parent.is_dir():
        raise RestoreError(f"{live.parent} does not exist: create it, or run `gatehouse db upgrade` first")
    refuse_while_serving(engine)
    prepared = Path(_prepare(found.path, live.parent))
    try:
        ended = _make_ready(prepared, keep_sessions)
        refuse_while_serving(engine)  # again, just before the swap
        kept = _keep(engine, live)
        engine.dispose()
        for suffix in ("-wal", "-shm"):  # the old database's: they must never meet the new file
            Path(f"{live}{suffix}").unlink(missing_ok=True)
        os.replace(prepared, live)
    except BaseException:
        prepared.unlink(missing_ok=True)
        raise
    return Restored(live, kept, found.revision, found.head, ended)


def refuse_while_serving(engine: Engine) -> None:
    """:raise RestoreError: an instance serves from this database."""
    holder = serving(engine)
    if holder is not None:
        raise RestoreError(f"an instance is serving from this database (lease held by {holder.holder}, renewed "
                           f"{holder.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC): stop it first "
                           "(`systemctl stop gatehouse`), then restore")


def _prepare(source: Path, folder: Path) -> str:
    """A copy of `source` in `folder`, mode 0600 from the start (SQLite's backup API: whole pages)."""
    fd, temporary = tempfile.mkstemp(prefix=".gatehouse-restore-", suffix=".db", dir=folder)
    os.close(fd)
    try:
        reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        copy = sqlite3.connect(temporary)
        try:
            reader.backup(copy)
        finally:
            copy.close()
            reader.close()
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return temporary


def _make_ready(prepared: Path, keep_sessions: bool) -> int:
    """Migrate the copy, drop its lease, sign its sessions out; one self-contained file, on disk.
    Returns how many sessions were signed out."""
    engine = create_engine(f"sqlite:///{prepared}")
    try:
        upgrade(engine)
        lease.clear(engine)
        with Session(engine) as session, session.begin():
            ended = 0 if keep_sessions else session.execute(
                update(LoginSession).where(LoginSession.revoked_at.is_(None)).values(revoked_at=utcnow())).rowcount
    finally:
        engine.dispose()
    connection = sqlite3.connect(prepared)
    try:
        connection.execute("PRAGMA journal_mode=DELETE")  # no -wal beside it when it moves
        verdict = connection.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        connection.close()
    if verdict != "ok":
        raise RestoreError(f"the prepared copy failed SQLite's quick_check ({verdict}); nothing was replaced")
    with open(prepared, "rb") as handle:
        os.fsync(handle.fileno())
    return ended


def _keep(engine: Engine, live: Path) -> Path | None:
    """The database about to be replaced, copied beside it (WAL included); None if there is none."""
    if not live.exists() or live.stat().st_size == 0:
        return None
    kept = live.with_name(f"{live.name}.replaced-{utcnow():%Y%m%dT%H%M%SZ}")
    try:
        return backup(engine, kept)
    except (BackupError, SQLAlchemyError, sqlite3.Error) as exc:
        raise RestoreError(f"the current database could not be kept as {kept} ({exc}); nothing was replaced") from None
