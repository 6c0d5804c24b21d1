"""The `gatehouse` console script where a terminal, a folder or stderr matter (run for real)."""

import json
import subprocess

import pytest

from tests.support.app import PASSWORD
from tests.support.served import login_new_browser
from tests.e2e.server import BIN, Server, gatehouse, gatehouse_env


def run(env, *args, cwd, stdin=subprocess.DEVNULL, input=None):
    """The script with no controlling terminal (a new session), as under cron or ssh without -t."""
    return subprocess.run([str(BIN / "gatehouse"), *args], env=env, cwd=cwd, stdin=stdin, input=input,
                          capture_output=True, text=True, timeout=60, start_new_session=True)


@pytest.fixture
def prepared(tmp_path):
    env = gatehouse_env(tmp_path / "instance")
    assert gatehouse(env, "db", "upgrade").returncode == 0
    assert gatehouse(env, "set-password", "--stdin", stdin=PASSWORD + "\n").returncode == 0
    return env


@pytest.mark.parametrize("args", [["-h"], ["sessions", "-h"], ["set-password", "-h"], ["--help"]])
def test_h_works_without_building_the_app(tmp_path, args):
    env = gatehouse_env(tmp_path / "instance")
    result = run(env, *args, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("Usage: gatehouse") and result.stderr == ""
    assert not (tmp_path / "instance").exists()


def test_set_password_without_a_terminal_points_to_stdin(prepared, tmp_path):
    result = run(prepared, "set-password", cwd=tmp_path)
    assert result.returncode == 1
    assert "no terminal" in result.stderr and "gatehouse set-password --stdin" in result.stderr
    for noise in ("GetPassWarning", "Aborted!", "may be echoed", "Traceback"):
        assert noise not in result.stderr + result.stdout
    piped = run(prepared, "set-password", cwd=tmp_path, stdin=None)  # stdin a pipe, still no terminal
    assert piped.returncode == 1 and "--stdin" in piped.stderr


def test_a_command_from_the_wrong_folder_refuses_and_creates_nothing(prepared, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in prepared.items() if k != "GATEHOUSE_INSTANCE_DIR"}
    for args in (["sessions", "list"], ["set-password", "--stdin"], ["unblock", "--all"]):
        result = run(env, *args, cwd=elsewhere)
        assert result.returncode == 1, args
        assert f"no instance folder at {elsewhere / 'instance'}" in result.stderr
        assert "GATEHOUSE_INSTANCE_DIR" in result.stderr and "Traceback" not in result.stderr
    assert list(elsewhere.iterdir()) == []
    created = run(env, "db", "upgrade", cwd=elsewhere)  # on purpose: a new instance
    assert created.returncode == 0 and created.stdout.startswith("Created the database schema")
    assert (elsewhere / "instance").is_dir()
    again = run(env, "db", "upgrade", cwd=elsewhere)
    assert again.stdout.startswith("The database is already up to date")


def test_sessions_revoke_prints_its_message_and_nothing_on_stderr(prepared, tmp_path):
    srv = Server(tmp_path / "instance")
    srv.env = prepared | {"GATEHOUSE_BIND": srv.env["GATEHOUSE_BIND"]}
    srv.start()
    try:
        login_new_browser(srv.url)
        listing = run(srv.env, "sessions", "list", "--json", cwd=tmp_path)
        [entry] = json.loads(listing.stdout)
        result = run(srv.env, "sessions", "revoke", str(entry["id"]), cwd=tmp_path)
        assert result.returncode == 0 and result.stdout.startswith(f"Revoked session {entry['id']}.")
        assert result.stderr == ""
        everything = run(srv.env, "sessions", "revoke", "--all", cwd=tmp_path)
        assert everything.returncode == 0 and everything.stderr == ""
    finally:
        assert srv.stop() == 0


def test_unblock_on_an_address_never_blocked_says_so(prepared, tmp_path):
    result = run(prepared, "unblock", "192.0.2.77", cwd=tmp_path)
    assert result.returncode == 0 and "192.0.2.77 was not blocked" in result.stdout and result.stderr == ""


def turn_codes_on(env) -> None:
    """Codes on, through the service on the command's own instance (as a page would)."""
    from app.factory import create_app
    from tests.support.two_factor import enable_codes

    app = create_app({"GATEHOUSE_INSTANCE_DIR": env["GATEHOUSE_INSTANCE_DIR"], "GATEHOUSE_BCRYPT_ROUNDS": 4})
    enable_codes(app)


def test_two_factor_disable_asks_and_writes_no_log_line(prepared, tmp_path):
    turn_codes_on(prepared)
    declined = run(prepared, "two-factor", "disable", cwd=tmp_path, stdin=None, input="n\n")
    assert declined.returncode == 1 and "[y/N]" in declined.stdout and "Nothing changed." in declined.stdout
    assert "is on" in run(prepared, "two-factor", "status", cwd=tmp_path).stdout
    done = run(prepared, "two-factor", "disable", "--yes", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Two-factor sign-in is off; 0 passkeys removed; 0 sessions signed out.\n"
    assert done.stderr == ""  # no JSON log line beside the answer
    assert "is off" in run(prepared, "two-factor", "status", cwd=tmp_path).stdout


def test_help_summaries_are_whole_sentences(tmp_path):
    env = gatehouse_env(tmp_path / "instance")
    for group in ((), ("db",), ("sessions",), ("two-factor",), ("access",), ("oidc",), ("notify",)):
        result = run(env, *group, "--help", cwd=tmp_path)
        listed = result.stdout.split("Commands:\n", 1)[1]
        assert result.returncode == 0 and "..." not in listed, listed
    top = run(env, "--help", cwd=tmp_path).stdout
    assert "First install:  gatehouse db upgrade && gatehouse set-password && gatehouse serve\n" in top
    assert "\\b" not in top
