"""Reloading the access rules under real gunicorn (docs/access.md, "Reloading"): SIGHUP to the
master re-reads the file in the running worker (the same process: nobody is signed out, nothing
restarts), a broken file keeps the rules in force and logs one error, and a broken file at
start-up stops gunicorn with one line naming the file and the line."""

from __future__ import annotations

import json
import signal
import time

import requests

from tests.support.app import PASSWORD
from tests.support.served import worker_pids
from tests.e2e.server import Server, gatehouse

ASK = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "tool.example.org", "X-Forwarded-Uri": "/x",
       "X-Forwarded-Method": "GET", "Accept": "application/json"}


def events(server: Server, name: str) -> list[dict]:
    found = []
    for line in server.output().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("event") == name:
            found.append(record)
    return found


def wait_for(check, timeout: float = 15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_sighup_reloads_in_place_and_keeps_the_rules_when_broken(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o700)
    rules = instance / "access.toml"
    rules.write_text('default = "bypass"\n')
    server = Server(instance)
    server.prepare(PASSWORD)
    server.start()
    try:
        ask = lambda: requests.get(server.url + "/api/v1/auth/forward-auth", headers=ASK).status_code  # noqa: E731
        assert ask() == 200
        token = requests.post(server.url + "/api/v1/auth/token", json={"password": PASSWORD}).json()["token"]
        workers = worker_pids(server)

        rules.write_text('default = "deny"\n')
        server.process.send_signal(signal.SIGHUP)
        assert wait_for(lambda: ask() == 403), server.output()
        assert worker_pids(server) == workers  # the same worker, re-read in place

        rules.write_text('default = "bypass"\n[[rule]]\nname = "x"\npolicy = "nope"\n')
        server.process.send_signal(signal.SIGHUP)
        assert wait_for(lambda: events(server, "access_reload_failed")), server.output()
        time.sleep(0.5)
        failed = events(server, "access_reload_failed")
        assert len(failed) == 1 and f"{rules}:4: rule 'x': policy must be one of" in failed[0]["message"]
        assert ask() == 403  # the rules in force stayed
        assert worker_pids(server) == workers and server.process.poll() is None
        # Nobody was signed out.
        session = requests.get(server.url + "/api/v1/auth/session", headers={"Authorization": f"Bearer {token}"})
        assert session.status_code == 200
        # `gatehouse access check` (systemctl reload runs it first) says the same, with exit status 1.
        check = gatehouse(server.env, "access", "check")
        assert check.returncode == 1 and f"{rules}:4: rule 'x': policy must be one of" in check.stderr
    finally:
        server.stop()


def test_a_broken_file_stops_start_up_with_one_line(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o700)
    (instance / "access.toml").write_text('[[rule]]\nname = "x"\npolicy = "signed_in"\nmax_age = "soon"\n')
    server = Server(instance)
    result = gatehouse(server.env, "db", "upgrade")
    assert result.returncode == 1
    line = f"gatehouse: GATEHOUSE_ACCESS_FILE: {instance / 'access.toml'}:4: rule 'x': max_age must be a duration"
    assert result.stderr.startswith(line) and result.stderr.count("\n") == 1
    server.start(wait=False)
    assert server.wait_exit() != 0
    assert f"{instance / 'access.toml'}:4: rule 'x': max_age must be a duration" in server.output()
