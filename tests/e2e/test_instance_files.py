"""Instance files with real gunicorn and the real CLI: owner-only, whatever the folder's mode."""

import os
import stat

import pytest

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
