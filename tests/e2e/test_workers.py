"""The worker check against real gunicorn: every way of asking for two workers is refused."""

import signal
import time

import pytest
import requests

from tests.support.app import PASSWORD
from tests.support.served import worker_pids
from tests.e2e.server import Server

OTHER_CONFIG = """
import os
bind = os.environ["GATEHOUSE_BIND"]
workers = 2
worker_class = "gthread"
"""

WAYS = {
    "-w 2": (("-w", "2"), {}, "-w/--workers option"),
    "--workers=2": (("--workers=2",), {}, "-w/--workers option"),
    "WEB_CONCURRENCY": ((), {"WEB_CONCURRENCY": "2"}, "WEB_CONCURRENCY=2"),
    "GATEHOUSE_WORKERS": ((), {"GATEHOUSE_WORKERS": "2"}, "GATEHOUSE_WORKERS=2"),
    "GUNICORN_CMD_ARGS": ((), {"GUNICORN_CMD_ARGS": "--workers 2"}, "GUNICORN_CMD_ARGS='--workers 2'"),
    "another config file": (("-c", "{other}"), {}, "`workers` in the gunicorn config file"),
}


@pytest.fixture(scope="module")
def other_config(tmp_path_factory):
    path = tmp_path_factory.mktemp("conf") / "other.conf.py"
    path.write_text(OTHER_CONFIG)
    return path


@pytest.mark.parametrize("way", list(WAYS))
def test_two_workers_with_local_state_are_refused(tmp_path, other_config, way):
    args, env, source = WAYS[way]
    srv = Server(tmp_path / "instance", **env)
    srv.prepare(PASSWORD)
    started = time.monotonic()
    srv.start(*(arg.format(other=other_config) for arg in args), wait=False)
    code = srv.wait_exit(timeout=10)
    assert time.monotonic() - started < 10
    output = srv.output()
    assert code != 0, output
    assert source in output and "GATEHOUSE_CACHE=memory" in output
    assert "Fix: run one worker" in output and "GATEHOUSE_REDIS_URL" in output
    assert "Traceback" not in output or way == "another config file"  # the import path shows gunicorn's trace


def test_one_worker_by_every_spelling_is_fine(tmp_path):
    srv = Server(tmp_path / "instance", GATEHOUSE_WORKERS="1", WEB_CONCURRENCY="1")
    srv.prepare(PASSWORD)
    srv.start("--workers=1")
    try:
        assert requests.get(srv.url + "/healthz").status_code == 200
    finally:
        assert srv.stop() == 0


def test_shared_state_allows_two_workers_and_one_runs_the_jobs(tmp_path, redis_url):
    srv = Server(tmp_path / "instance", GATEHOUSE_CACHE="none", GATEHOUSE_REDIS_URL=redis_url)
    srv.prepare(PASSWORD)
    srv.start("-w", "2")
    try:
        deadline = time.monotonic() + 10
        while srv.output().count('"event": "serving"') < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        output = srv.output()
        assert output.count('"event": "serving"') == 2
        assert output.count('"lease": true') == 1 and output.count('"lease": false') == 1
        assert requests.get(srv.url + "/healthz").status_code == 200
    finally:
        assert srv.stop() == 0


def test_sigttin_cannot_add_a_worker_at_runtime(tmp_path):
    srv = Server(tmp_path / "instance")
    srv.prepare(PASSWORD)
    srv.start()
    try:
        assert len(worker_pids(srv)) == 1
        srv.process.send_signal(signal.SIGTTIN)
        deadline = time.monotonic() + 5
        while "ignoring a request for 2 workers" not in srv.output() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.5)  # a master that did accept would have forked by now
        assert "ignoring a request for 2 workers" in srv.output()
        assert len(worker_pids(srv)) == 1
        assert requests.get(srv.url + "/healthz").status_code == 200
    finally:
        assert srv.stop() == 0


def test_preload_is_refused(tmp_path):
    srv = Server(tmp_path / "instance")
    srv.prepare(PASSWORD)
    srv.start("--preload", wait=False)
    assert srv.wait_exit(timeout=10) != 0
    assert "Fix: drop --preload" in srv.output()
