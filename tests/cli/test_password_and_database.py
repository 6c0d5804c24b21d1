import pytest
from alembic.script import ScriptDirectory

from app.database import alembic_config

from app.services import login_sessions, master_password
from tests.support.app import PASSWORD, stored_hash

HEAD = ScriptDirectory.from_config(alembic_config(None)).get_current_head()

NEW = "the replacement master password"


def test_set_password_from_stdin(fresh_app):
    runner = fresh_app.test_cli_runner()
    result = runner.invoke(args=["set-password", "--stdin"], input=NEW + "\n")
    assert result.exit_code == 0, result.output
    with fresh_app.app_context():
        assert master_password.check(NEW) and not master_password.check(NEW + "\n")


def test_set_password_prompts_twice(fresh_app):
    result = fresh_app.test_cli_runner().invoke(args=["set-password"], input=f"{NEW}\n{NEW}\n")
    assert result.exit_code == 0, result.output
    with fresh_app.app_context():
        assert master_password.check(NEW)


def test_a_mismatch_is_asked_again(fresh_app):
    result = fresh_app.test_cli_runner().invoke(args=["set-password"], input=f"{NEW}\n{NEW}x\n{NEW}\n{NEW}\n")
    assert result.exit_code == 0, result.output
    assert "The two passwords do not match. Try again." in result.output
    assert result.output.count("New master password") == 2
    with fresh_app.app_context():
        assert master_password.check(NEW)


def test_a_short_password_then_a_mismatch_then_a_good_one(fresh_app):
    answers = f"short\n{NEW}\n{NEW}x\n{NEW}\n{NEW}\n"
    result = fresh_app.test_cli_runner().invoke(args=["set-password"], input=answers)
    assert result.exit_code == 0, result.output
    assert "at least 15" in result.output and "do not match" in result.output
    with fresh_app.app_context():
        assert master_password.check(NEW)


def test_three_mismatches_give_up_and_change_nothing(fresh_app):
    result = fresh_app.test_cli_runner().invoke(args=["set-password"], input=f"{NEW}\n{NEW}x\n" * 4)
    assert result.exit_code == 1 and result.output.count("do not match") == 3
    assert "No password set after 3 tries; nothing changed." in result.output
    assert result.output.count("New master password") == 3
    assert stored_hash(fresh_app) is None


def test_a_fresh_install_is_not_told_sessions_were_signed_out(fresh_app):
    result = fresh_app.test_cli_runner().invoke(args=["set-password", "--stdin"], input=NEW + "\n")
    assert result.output == "Master password set. Sign in with it on the portal.\n"


def test_replacing_says_how_many_sessions_ended(app):
    with app.app_context():
        for _ in range(2):
            login_sessions.create(login_sessions.BROWSER, None, None)
    result = app.test_cli_runner().invoke(args=["set-password", "--stdin"], input=NEW + "\n")
    assert result.output == "Master password replaced; 2 sessions signed out.\n"
    again = app.test_cli_runner().invoke(args=["set-password", "--stdin"], input=PASSWORD + "\n")
    assert again.output == "Master password replaced; 0 sessions signed out.\n"


def test_check_says_whether_a_password_is_set(fresh_app):
    runner = fresh_app.test_cli_runner()
    before = runner.invoke(args=["set-password", "--check"])
    assert before.exit_code == 1 and before.output.startswith("No master password is set yet")
    runner.invoke(args=["set-password", "--stdin"], input=NEW + "\n")
    after = runner.invoke(args=["set-password", "--check"])
    assert after.exit_code == 0 and after.output == "A master password is set.\n"
    assert runner.invoke(args=["set-password", "--check", "--stdin"]).exit_code == 2


@pytest.mark.parametrize(
    "data, message",
    [(b"short\n", "at least 15"), (b"\xff\xfe not utf-8 at all\n", "UTF-8"), (b"has a nul \x00 inside it\n", "NUL")],
)
def test_bad_stdin_password_is_refused_and_changes_nothing(app, data, message):
    before = stored_hash(app)
    result = app.test_cli_runner().invoke(args=["set-password", "--stdin"], input=data)
    assert result.exit_code == 1 and message in result.output
    assert stored_hash(app) == before


def test_set_password_revokes_every_session(app):
    with app.app_context():
        started = login_sessions.create(login_sessions.BROWSER, None, None)
    result = app.test_cli_runner().invoke(args=["set-password", "--stdin"], input=NEW + "\n")
    assert result.exit_code == 0
    with app.app_context():
        assert login_sessions.validate(started.token) is None
        assert master_password.check(NEW) and not master_password.check(PASSWORD)


def test_db_upgrade_creates_schema(make_app, tmp_path):
    from sqlalchemy import inspect

    app = make_app(GATEHOUSE_DATABASE_URL=f"sqlite:///{tmp_path}/empty.db")
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0
    assert result.output == f"Created the database schema (revision {HEAD}) in sqlite:///{tmp_path}/empty.db.\n"
    again = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert again.output == f"The database is already up to date (revision {HEAD}).\n"
    with app.app_context():
        from app.extensions import db

        names = set(inspect(db.engine).get_table_names())
    assert {"login_sessions", "settings", "alembic_version"} <= names


def test_db_upgrade_from_an_older_revision_says_from_what(make_app, tmp_path):
    from app.database import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    upgrade(engine, "0001")
    engine.dispose()
    app = make_app(GATEHOUSE_DATABASE_URL=f"sqlite:///{tmp_path}/old.db")
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.output == f"Upgraded the database from revision 0001 to {HEAD}.\n"


def test_prompted_password_too_short_is_refused_at_the_first_prompt(fresh_app):
    result = fresh_app.test_cli_runner().invoke(args=["set-password"], input=f"short\n{NEW}\n{NEW}\n")
    assert result.exit_code == 0, result.output
    first, rest = result.output.split("Repeat the password", 1)
    assert "at least 15 characters" in first  # said before the second prompt, then asked again
    assert first.count("New master password") == 2 and "at least 15" not in rest
    with fresh_app.app_context():
        assert master_password.check(NEW)


def test_set_password_is_kept_in_the_activity(app):
    from app.services import activity

    assert app.test_cli_runner().invoke(args=["set-password", "--stdin"], input=NEW + "\n").exit_code == 0
    with app.app_context():
        [event] = activity.recent()
    assert (event.kind, event.address) == ("password_changed", "command line")


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_with_h_on_every_level(app, flag):
    runner = app.test_cli_runner()
    for args in ([], ["sessions"], ["sessions", "list"], ["set-password"], ["db", "upgrade"]):
        result = runner.invoke(args=[*args, flag])
        assert result.exit_code == 0 and result.output.startswith("Usage:"), (args, result.output)


@pytest.mark.parametrize("key_from", ["environment", "credential"])
def test_db_upgrade_creates_a_missing_instance_folder_with_the_key_given_elsewhere(tmp_path, key_from):
    """Issue 25: with the secret key in the environment (or a systemd credential) nothing else
    creates the instance folder, and `db upgrade` failed with "run `gatehouse db upgrade`"."""
    from tests.e2e.server import gatehouse, gatehouse_env
    from tests.support.app import SECRET

    instance = tmp_path / "var" / "lib" / "gatehouse"
    env = gatehouse_env(instance)
    if key_from == "environment":
        env["GATEHOUSE_SECRET_KEY"] = SECRET
    else:
        credentials = tmp_path / "credentials"
        credentials.mkdir()
        (credentials / "gatehouse-secret-key").write_text(SECRET + "\n")
        (credentials / "gatehouse-secret-key").chmod(0o400)
        env["CREDENTIALS_DIRECTORY"] = str(credentials)
    result = gatehouse(env, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Created the database schema (revision {HEAD})")
    assert instance.is_dir() and (instance.stat().st_mode & 0o777) == 0o700
    assert ((instance / "gatehouse.db").stat().st_mode & 0o777) == 0o600
    assert not (instance / "secret_key").exists()  # the key given is the key: none is generated
    status = gatehouse(env, "sessions", "list")
    assert status.returncode == 0, status.stderr


def test_db_upgrade_names_a_missing_database_folder_and_creates_nothing(make_app, tmp_path):
    app = make_app(GATEHOUSE_DATABASE_URL=f"sqlite:///{tmp_path}/nowhere/gatehouse.db")
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 1 and f"{tmp_path}/nowhere, does not exist" in result.output
    assert not (tmp_path / "nowhere").exists()
