"""The restore service (docs/operations.md, "Backup and restore"): a bad file is refused and
changes nothing; a good one replaces the database, keeps the old one beside it, drops the lease
it carried and signs its sessions out; an instance that serves blocks it."""

from __future__ import annotations

import hashlib
import sqlite3
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.database import make_engine, upgrade
from app.extensions import db
from app.models import InstanceLease, LoginSession, utcnow
from app.runtime import lease
from app.services import login_sessions, master_password
from app.services.backup import BackupError, backup
from app.services.restore import RestoreError, check, restore
from tests.support.app import PASSWORD

pytestmark = pytest.mark.databases("sqlite")
NEW = "a password set after the backup"


def live_file(app) -> Path:
    return Path(app.config["GATEHOUSE_DATABASE_URL"].removeprefix("sqlite:///"))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def backed_up(app, tmp_path):
    """A backup holding a live session and the lease of a serving instance; afterwards the live
    database moves on (a new password)."""
    with app.app_context():
        kept = login_sessions.create(login_sessions.BROWSER, None, None)
        assert lease.acquire(db.engine, "old-host:123")
        path = backup(db.engine, tmp_path / "backup.db")
        lease.release(db.engine, "old-host:123")
        master_password.replace(NEW, NEW)
    return path, kept


def test_a_backup_is_put_back_and_the_replaced_database_kept(app, backed_up):
    path, kept_session = backed_up
    with app.app_context():
        done = restore(db.engine, path)
    assert done.database == live_file(app) and done.kept is not None and done.kept.parent == done.database.parent
    assert done.kept.name.startswith("gatehouse.db.replaced-") and stat.S_IMODE(done.kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(done.database.stat().st_mode) == 0o600
    with sqlite3.connect(done.kept) as replaced:  # the replaced one: the password set after the backup
        assert replaced.execute("SELECT count(*) FROM login_sessions").fetchone() == (1,)
    with app.app_context():
        assert master_password.check(PASSWORD) and not master_password.check(NEW)
        assert db.session.scalars(select(InstanceLease)).all() == []  # the lease it carried is gone
        assert login_sessions.validate(kept_session.token) is None  # its sessions are signed out
        assert lease.acquire(db.engine, "new-host:456")  # a start is not refused
    assert done.sessions_ended == 1
    assert [p.name for p in done.database.parent.iterdir() if p.name.startswith(".gatehouse-restore-")] == []


def test_keep_sessions_keeps_them(app, backed_up):
    path, kept_session = backed_up
    with app.app_context():
        done = restore(db.engine, path, keep_sessions=True)
        assert done.sessions_ended == 0
        assert login_sessions.validate(kept_session.token) is not None


def test_an_older_backup_is_migrated_forward(app, tmp_path):
    old = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{old}")
    upgrade(engine, "0005")
    engine.dispose()
    with app.app_context():
        done = restore(db.engine, old)
        assert (done.revision_before, done.revision) == ("0005", check(live_file(app)).head)
        assert not master_password.is_set()  # what the backup held: no password yet


def test_refused_while_an_instance_serves_and_nothing_changes(app, backed_up):
    path, _kept = backed_up
    with app.app_context():
        assert lease.acquire(db.engine, "serving-host:1")
        before = digest(live_file(app))
        with pytest.raises(RestoreError, match="an instance is serving from this database.*serving-host:1.*stop it"):
            restore(db.engine, path)
        assert master_password.check(NEW)
        lease.release(db.engine, "serving-host:1")
    assert digest(live_file(app)) == before


def test_an_expired_lease_does_not_block(app, backed_up):
    path, _kept = backed_up
    with app.app_context():
        assert lease.acquire(db.engine, "crashed-host:1", now=utcnow() - timedelta(minutes=5))
        restore(db.engine, path)
        assert master_password.check(PASSWORD)


def write_sqlite(path: Path, *statements: str) -> Path:
    with sqlite3.connect(path) as connection:
        for statement in statements:
            connection.execute(statement)
    return path


def damaged(app, tmp_path) -> Path:
    """A backup with a page overwritten in the middle."""
    with app.app_context():
        path = backup(db.engine, tmp_path / "damaged.db")
    data = bytearray(path.read_bytes())
    page = 4096
    data[3 * page:4 * page] = b"\x5a" * page
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("make_file, message", [
    (lambda app, tmp: tmp / "missing.db", "is not a file"),
    (lambda app, tmp: tmp, "is not a file"),
    (lambda app, tmp: (tmp / "notes.txt", (tmp / "notes.txt").write_text("hello"))[0], "is not a SQLite database"),
    (lambda app, tmp: write_sqlite(tmp / "other.db", "CREATE TABLE things (id INTEGER)"), "not one of Gatehouse's"),
    (damaged, "damaged|cannot be read"),
])
def test_a_file_that_is_no_backup_of_ours_is_refused_and_changes_nothing(app, tmp_path, make_file, message):
    path = make_file(app, tmp_path)
    before = digest(live_file(app))
    with app.app_context():
        with pytest.raises(RestoreError, match=message):
            restore(db.engine, path)
    assert digest(live_file(app)) == before
    assert not list(live_file(app).parent.glob("gatehouse.db.replaced-*"))


def test_a_backup_from_a_newer_version_is_refused(app, tmp_path):
    with app.app_context():
        path = backup(db.engine, tmp_path / "newer.db")
    write_sqlite(path, "UPDATE alembic_version SET version_num = '0099'")
    with app.app_context():
        with pytest.raises(RestoreError, match="revision '0099', which this Gatehouse does not know.*newer version"):
            restore(db.engine, path)
        assert master_password.check(PASSWORD)


def test_the_live_database_itself_is_refused(app):
    with app.app_context():
        with pytest.raises(RestoreError, match="is the live database itself"):
            restore(db.engine, live_file(app))


@pytest.mark.databases("postgresql")
def test_postgresql_is_sent_to_pg_restore(app, tmp_path):
    with app.app_context():
        path = backup_of_a_sqlite_app(tmp_path)
        with pytest.raises(BackupError, match="pg_dump"):
            restore(db.engine, path)


def backup_of_a_sqlite_app(tmp_path) -> Path:
    path = tmp_path / "sqlite-backup.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def test_rows_are_really_the_backups(app, backed_up):
    """Not just the password: every table is the backup's (a session row count as a witness)."""
    path, _kept = backed_up
    with app.app_context():
        login_sessions.create(login_sessions.BROWSER, None, None)
        login_sessions.create(login_sessions.BROWSER, None, None)
        restore(db.engine, path)
        assert len(db.session.scalars(select(LoginSession)).all()) == 1
