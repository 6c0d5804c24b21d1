"""`make run`, as a newcomer types it: plain-text log lines for a person at a terminal."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import pytest
import requests

from tests.e2e.server import ROOT, free_port, gatehouse, gatehouse_env
from tests.support.app import PASSWORD


def make_run(env: dict, port: int, log) -> list[str]:
    """`make run` until it serves, then SIGTERM: its output lines."""
    with open(log, "wb") as out:
        process = subprocess.Popen(["make", "--no-print-directory", "run"], cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 120  # a first make run may install the package
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    if requests.get(f"http://127.0.0.1:{port}/static/css/gatehouse.css", timeout=5).ok:
                        break
                except requests.RequestException:
                    time.sleep(0.2)
            assert process.poll() is None, log.read_text()
            time.sleep(0.5)  # let the access line reach the log
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)
    return log.read_text().splitlines()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_logs_text_lines(tmp_path):
    port = free_port()
    env = gatehouse_env(tmp_path / "instance", GATEHOUSE_BIND=f"127.0.0.1:{port}")
    del env["GATEHOUSE_LOG_FORMAT"]  # what make run does when nothing is set
    lines = make_run(env, port, tmp_path / "make-run.log")
    # The address to open is localhost's (passkeys need a host name), and the first run says so.
    assert f"Serving on http://localhost:{port} with GATEHOUSE_COOKIE_SECURE=0 (plain HTTP, loopback only)." in lines
    assert (f"First run: open http://localhost:{port}/setup and enter the code from "
            f"{tmp_path / 'instance'}/setup-code") in lines
    access = [line for line in lines if '"GET /static/css/gatehouse.css"' in line]
    assert access and not access[0].startswith("{")  # gunicorn's text access line, bytes counted
    assert access[0].split('" 200 ')[1].split()[0] != "0"
    assert any(" INFO gatehouse." in line for line in lines)  # the app's own lines as text
    assert not any(line.lstrip().startswith("{") for line in lines)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_says_first_run_only_before_setup(tmp_path):
    port = free_port()
    env = gatehouse_env(tmp_path / "instance", GATEHOUSE_BIND=f"127.0.0.1:{port}")
    assert gatehouse(env, "db", "upgrade").returncode == 0
    assert gatehouse(env, "set-password", "--stdin", stdin=PASSWORD + "\n").returncode == 0
    lines = make_run(env, port, tmp_path / "make-run.log")
    assert f"Serving on http://localhost:{port} with GATEHOUSE_COOKIE_SECURE=0 (plain HTTP, loopback only)." in lines
    assert not any("First run" in line or "/setup" in line for line in lines), lines
