"""`gatehouse restore FILE` on the command line: it says what FILE is, asks (or `--yes`), and says
what it did; a refusal is one line and exit status 1."""

import pytest

from app.extensions import db
from app.services import master_password
from app.services.backup import backup
from tests.support.app import PASSWORD

pytestmark = pytest.mark.databases("sqlite")
NEW = "a password set after the backup"


@pytest.fixture
def backup_file(app, tmp_path):
    with app.app_context():
        path = backup(db.engine, tmp_path / "backup.db")
        master_password.replace(NEW, NEW)
    return path


def test_no_at_the_question_changes_nothing(app, runner, backup_file):
    result = runner.invoke(args=["restore", str(backup_file)], input="n\n")
    assert result.exit_code == 1 and "a Gatehouse database at revision" in result.output
    assert "Replace the database at" in result.output and "Aborted" in result.output
    with app.app_context():
        assert master_password.check(NEW)


def test_yes_restores_and_says_what_it_kept(app, runner, backup_file):
    result = runner.invoke(args=["restore", str(backup_file)], input="y\n")
    assert result.exit_code == 0, result.output
    assert "Restored " in result.output and "The replaced database is kept as " in result.output
    assert "gatehouse.db.replaced-" in result.output and "sign in again" in result.output
    with app.app_context():
        assert master_password.check(PASSWORD)


def test_a_bad_file_is_one_line_and_exit_1(app, runner, tmp_path):
    (tmp_path / "notes.txt").write_text("not a database")
    result = runner.invoke(args=["restore", "--yes", str(tmp_path / "notes.txt")])
    assert result.exit_code == 1 and result.output.strip().endswith("is not a SQLite database (a file from "
                                                                    "`gatehouse backup` is one)")


def test_a_replaced_secret_key_is_warned_of_after_the_restore(app, make_app, tmp_path):
    from tests.support.two_factor import enable_codes, with_replaced_key

    enable_codes(app)
    with app.app_context():
        path = backup(db.engine, tmp_path / "with-codes.db")
    result = with_replaced_key(make_app).test_cli_runner().invoke(args=["restore", "--yes", str(path)])
    assert result.exit_code == 0, result.output
    assert "Warning: Codes from the authenticator app cannot be checked" in result.output
