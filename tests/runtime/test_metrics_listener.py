"""The metrics listener's set-up in gunicorn's master: its folder, its address, its clean-up.

(The listener serving real workers is tested end to end in tests/e2e/test_metrics.py.)
"""

import os
import socket

import pytest

import prometheus_client  # noqa: F401  (first: before any test sets PROMETHEUS_MULTIPROC_DIR)

from app.runtime import metrics_listener
from app.version import version


@pytest.fixture(autouse=True)
def isolated(monkeypatch):
    monkeypatch.delenv(metrics_listener.ENV, raising=False)
    yield
    metrics_listener.cleanup()


def test_off_without_a_bind_and_nothing_is_set():
    assert metrics_listener.prepare({}) is None
    assert metrics_listener.start([]) is None and metrics_listener.ENV not in os.environ


def test_a_private_folder_of_our_own_is_made_and_removed():
    listener = metrics_listener.prepare({"GATEHOUSE_METRICS_BIND": "127.0.0.1:9480"})
    folder = listener.directory
    assert os.environ[metrics_listener.ENV] == str(folder) and oct(folder.stat().st_mode & 0o777) == "0o700"
    metrics_listener.cleanup()
    assert not folder.exists()


def test_the_admins_folder_is_kept_but_emptied_of_old_values(tmp_path):
    (tmp_path / "counter_123.db").write_bytes(b"old")
    (tmp_path / "notes.txt").write_text("mine")
    listener = metrics_listener.prepare({"GATEHOUSE_METRICS_BIND": "[::1]:9480", metrics_listener.ENV: str(tmp_path)})
    assert listener.directory == tmp_path and sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    metrics_listener.cleanup()
    assert (tmp_path / "notes.txt").exists()


def test_an_invalid_bind_is_one_line_for_gunicorn_to_print():
    with pytest.raises(RuntimeError, match=r"^GATEHOUSE_METRICS_BIND='9480' is invalid: must be HOST:PORT"):
        metrics_listener.prepare({"GATEHOUSE_METRICS_BIND": "9480"})


def test_the_portals_own_port_is_refused():
    metrics_listener.prepare({"GATEHOUSE_METRICS_BIND": "127.0.0.1:8000"})
    with pytest.raises(RuntimeError, match="shares the public bind's port"):
        metrics_listener.start([("0.0.0.0", 8000)])


def test_serves_the_version_and_refuses_a_taken_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    metrics_listener.prepare({"GATEHOUSE_METRICS_BIND": f"127.0.0.1:{port}"})
    assert metrics_listener.start([]) == f"127.0.0.1:{port}"
    import requests

    body = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    assert f'gatehouse_build_info{{version="{version()}"}} 1.0' in body
    second = metrics_listener.Listener(f"127.0.0.1:{port}", metrics_listener._listener.directory, created=False)
    metrics_listener._listener, first = second, metrics_listener._listener
    try:
        with pytest.raises(RuntimeError, match="cannot listen there"):
            metrics_listener.start([])
    finally:
        metrics_listener._listener = first
