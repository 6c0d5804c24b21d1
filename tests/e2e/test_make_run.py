"""`make run`, as a newcomer types it: plain-text log lines for a person at a terminal."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import pytest
import requests

from tests.e2e.server import ROOT, free_port, gatehouse_env


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_logs_text_lines(tmp_path):
    port = free_port()
    env = gatehouse_env(tmp_path / "instance", GATEHOUSE_BIND=f"127.0.0.1:{port}")
    del env["GATEHOUSE_LOG_FORMAT"]  # what make run does when nothing is set
    log = tmp_path / "make-run.log"
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
    lines = log.read_text().splitlines()
    access = [line for line in lines if '"GET /static/css/gatehouse.css"' in line]
    assert access and not access[0].startswith("{")  # gunicorn's text access line, bytes counted
    assert access[0].split('" 200 ')[1].split()[0] != "0"
    assert any(" INFO gatehouse." in line for line in lines)  # the app's own lines as text
    assert not any(line.lstrip().startswith("{") for line in lines)
