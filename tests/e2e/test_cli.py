"""The `gatehouse` console script as an administrator uses it, against a running server."""

import time

import pytest

from tests.support.app import PASSWORD
from tests.support.served import login_new_browser
from tests.e2e.server import Server, gatehouse, gatehouse_env

NEW = "a brand new master password"

HELP = {
    (): "First install:",
    ("db",): "gatehouse db upgrade",
    ("db", "upgrade"): "newest version",
    ("sessions",): "gatehouse sessions revoke --all",
    ("sessions", "list"): "sessions revoke ID",
    ("sessions", "revoke"): "--all",
    ("set-password",): "--stdin",
    ("serve",): "GATEHOUSE_BIND",
}


@pytest.mark.parametrize("command", list(HELP), ids=lambda c: " ".join(c) or "gatehouse")
def test_every_command_explains_itself(tmp_path, command):
    result = gatehouse(gatehouse_env(tmp_path / "instance"), *command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: gatehouse " + " ".join(command))
    assert HELP[command] in result.stdout


def signed_in(browser, url):
    return browser.get(url + "/", allow_redirects=False).status_code == 200


def eventually(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.fixture
def live(tmp_path):
    """A running server whose cache notices another process's revocations within 1 s."""
    srv = Server(tmp_path / "instance", GATEHOUSE_CACHE_TTL_SECONDS="1")
    srv.prepare(PASSWORD)
    srv.start()
    yield srv
    assert srv.stop() == 0


def test_set_password_on_a_running_server_signs_everyone_out(live):
    browser, status = login_new_browser(live.url)
    assert status == 303 and signed_in(browser, live.url)
    result = gatehouse(live.env, "set-password", "--stdin", stdin=NEW + "\n")
    assert result.returncode == 0 and result.stdout == "Master password replaced; 1 session signed out.\n"
    assert login_new_browser(live.url)[1] == 401  # the old password is refused at once
    assert eventually(lambda: not signed_in(browser, live.url))
    time.sleep(0.6)  # the refused old password holds this address back for 0.5 s
    assert login_new_browser(live.url, NEW)[1] == 303


def test_sessions_list_and_revoke_on_a_running_server(live):
    first, _ = login_new_browser(live.url)
    second, _ = login_new_browser(live.url)
    listing = gatehouse(live.env, "sessions", "list")
    ids = [line.split()[0] for line in listing.stdout.splitlines()[1:]]
    assert listing.returncode == 0 and len(ids) == 2
    newest = ids[0]
    result = gatehouse(live.env, "sessions", "revoke", newest)
    assert result.returncode == 0 and f"Revoked session {newest}." in result.stdout
    assert eventually(lambda: not signed_in(second, live.url)) and signed_in(first, live.url)
    assert gatehouse(live.env, "sessions", "revoke", "--all").returncode == 0
    assert eventually(lambda: not signed_in(first, live.url))
    assert gatehouse(live.env, "sessions", "list").stdout == "No active sessions.\n"


def test_serve_runs_gunicorn_with_the_shipped_config_from_any_directory(tmp_path):
    srv = Server(tmp_path / "instance")
    srv.prepare(PASSWORD)
    srv.env["GATEHOUSE_INSTANCE_DIR"] = "instance"  # relative to where `gatehouse serve` runs: tmp_path
    srv.start(via_cli=True)
    try:
        assert login_new_browser(srv.url)[1] == 303
        assert "Using worker: app.edge.worker.ReadDeadlineWorker" in srv.output()
    finally:
        assert srv.stop() == 0
    refused = Server(tmp_path / "instance").start("--workers", "2", via_cli=True, wait=False)
    assert refused.wait_exit(timeout=10) != 0 and "-w/--workers option" in refused.output()
