"""Importing wsgi.py has no side effects: gunicorn's --check-config and --print-config work on a
live host (beside a running instance) and before `gatehouse db upgrade`; the lease is taken when a
worker starts serving, and without gunicorn.conf.py on the first request."""

import subprocess
import time

import requests

from tests.support.app import PASSWORD
from tests.e2e.server import BIN, ROOT, Server, gatehouse_env


def gunicorn_check(env, *flags):
    return subprocess.run([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", *flags, "wsgi:app"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)


def wait_answer(server, path, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.process.poll() is None, "gunicorn exited"
        try:
            return requests.get(server.url + path, timeout=10)
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("no answer")


def test_check_config_before_migration_takes_no_lease_and_opens_no_database(tmp_path):
    env = gatehouse_env(tmp_path / "instance")
    result = gunicorn_check(env, "--check-config")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "instance" / "gatehouse.db").exists()  # nothing opened, nothing created
    printed = gunicorn_check(env, "--print-config")
    assert printed.returncode == 0 and "Traceback" not in printed.stderr + printed.stdout
    assert "post_worker_init" in printed.stdout


def test_check_config_beside_a_running_instance(tmp_path):
    server = Server(tmp_path / "instance")
    server.prepare(PASSWORD)
    server.start()
    try:
        result = gunicorn_check(server.env, "--check-config")
        assert result.returncode == 0, result.stderr
        assert "already serving" not in result.stderr + result.stdout
        assert requests.get(server.url + "/healthz", timeout=10).status_code == 200  # the first is untouched
    finally:
        server.stop()


def test_without_gunicorn_conf_a_second_instance_refuses_on_its_first_request(tmp_path):
    """gunicorn without our config file (`-c /dev/null`: no hooks): start-up happens on the first
    request, and is refused there."""
    instance = tmp_path / "instance"
    first = Server(instance)
    first.prepare(PASSWORD)
    first.start()
    bare = Server(instance)
    try:
        bare.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "/dev/null", "-b", f"127.0.0.1:{bare.port}", "-k", "gthread", "wsgi:app"],
            cwd=ROOT, env=bare.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        bare.instance_log = open(bare.log, "ab")
        assert wait_answer(bare, "/healthz").status_code == 503  # the first request tries to start: refused
        response = requests.get(bare.url + "/login", timeout=10)
        assert response.status_code == 503 and "already serving" in response.text
        assert requests.get(first.url + "/healthz", timeout=10).status_code == 200
    finally:
        bare.stop()
        first.stop()
