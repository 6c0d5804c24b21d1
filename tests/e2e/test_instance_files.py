"""Instance files with real gunicorn and the real CLI: owner-only, whatever the folder's mode."""

import json
import os
import stat
import time

import pytest
import requests

from tests.support.app import CSRF_RE, PASSWORD
from tests.e2e.server import Server, gatehouse


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)  # what a shell usually has; the children inherit it
    yield
    os.umask(old)


def test_files_are_0600_in_an_existing_0755_folder(tmp_path, loose_umask):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    server = Server(instance)
    server.prepare(password=None)
    server.start()
    try:
        modes = {p.name: stat.S_IMODE(p.lstat().st_mode) for p in instance.iterdir()}
    finally:
        assert server.stop() == 0
    assert {"gatehouse.db", "gatehouse.db-wal", "gatehouse.db-shm", "secret_key", "setup-code"} <= set(modes)
    assert modes == dict.fromkeys(modes, 0o600)


def test_start_refused_with_one_line_when_the_secret_key_is_readable(tmp_path):
    instance = tmp_path / "instance"
    server = Server(instance)
    server.prepare(password=None)
    key = instance / "secret_key"
    key.chmod(0o644)
    result = gatehouse(server.env, "db", "upgrade")
    assert result.returncode != 0
    assert result.stderr == f"gatehouse: {key} is readable by other users: run `chmod 600 {key}`\n"
    server.start(wait=False)
    assert server.wait_exit() != 0
    assert f"{key} is readable by other users: run `chmod 600 {key}`" in server.output().splitlines()


def test_a_setup_code_left_from_before_is_replaced_and_announced_once(tmp_path):
    instance = tmp_path / "instance"
    server = Server(instance)
    server.prepare(password=None)
    planted = instance / "setup-code"
    planted.write_text("a-code-someone-else-chose\n")  # left from an earlier run, or by another user
    planted.chmod(0o644)
    server.start()
    try:
        code = planted.read_text().strip()
        assert code and code != "a-code-someone-else-chose"
        assert stat.S_IMODE(planted.lstat().st_mode) == 0o600
        browser = requests.Session()
        for _ in range(3):
            page = browser.get(server.url + "/setup")
            assert page.status_code == 200
        token = CSRF_RE.search(page.text).group(1)
        fields = {"csrf_token": token, "code": "a-code-someone-else-chose", "password": PASSWORD, "confirm": PASSWORD}
        assert browser.post(server.url + "/setup", data=fields, allow_redirects=False).status_code == 403
        time.sleep(1.1)  # a wrong code holds this address back (GATEHOUSE_LOGIN_BACKOFF)
        fields["code"] = code
        assert browser.post(server.url + "/setup", data=fields, allow_redirects=False).status_code == 303
    finally:
        assert server.stop() == 0
    events = [json.loads(line).get("event") for line in server.output().splitlines() if line.startswith("{")]
    assert events.count("setup_required") == 1  # at start-up, not once per GET /setup
