"""The backup service: a consistent, private copy of the SQLite file; PostgreSQL is sent to pg_dump."""

import sqlite3
import stat

import pytest

from app.extensions import db
from app.services.backup import BackupError, backup


@pytest.mark.databases("sqlite")
def test_copy_holds_the_live_session_and_only_its_owner_may_read_it(app, auth, tmp_path):
    auth.login()
    target = tmp_path / "backup.db"
    target.write_text("an older backup")
    with app.app_context():
        written = backup(db.engine, target)
    assert written == target and stat.S_IMODE(target.stat().st_mode) == 0o600
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one file, no -wal
        assert copy.execute("SELECT count(*) FROM login_sessions WHERE revoked_at IS NULL").fetchone() == (1,)
    finally:
        copy.close()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".gatehouse-backup-")] == []


@pytest.mark.databases("sqlite")
@pytest.mark.parametrize("where", ["folder", "missing parent", "live file"])
def test_bad_targets_are_refused_and_nothing_is_written(app, tmp_path, where):
    target = {"folder": tmp_path, "missing parent": tmp_path / "nope" / "b.db",
              "live file": tmp_path / "gatehouse.db"}[where]
    before = sorted(p.name for p in tmp_path.iterdir())
    with app.app_context(), pytest.raises(BackupError):
        backup(db.engine, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.databases("postgresql")
def test_postgresql_is_sent_to_pg_dump_without_its_url(app, tmp_path):
    with app.app_context(), pytest.raises(BackupError) as info:
        backup(db.engine, tmp_path / "b.db")
    message = str(info.value)
    assert "pg_dump" in message and "://" not in message and not (tmp_path / "b.db").exists()


@pytest.mark.databases("sqlite")
def test_cli_backup_writes_a_private_copy(app, tmp_path):
    target = tmp_path / "nightly.db"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0 and f"Backup written to {target}" in result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT count(*) FROM settings").fetchone()[0] >= 1  # the master password's hash


@pytest.mark.databases("postgresql")
def test_cli_backup_of_postgresql_points_to_pg_dump_and_fails(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b.db")])
    assert result.exit_code == 1 and "pg_dump" in result.output and "Traceback" not in result.output


def test_cli_backup_refuses_a_folder_with_one_line(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path)])
    assert result.exit_code == 1 and result.output.count("\n") == 1
