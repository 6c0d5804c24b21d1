"""The version: `gatehouse --version` tells it; the public /readyz never does."""

import subprocess
import sys
from pathlib import Path

from app.version import version


def test_gatehouse_version_prints_it_without_building_the_app(tmp_path):
    gatehouse = Path(sys.executable).parent / "gatehouse"
    env = {"PATH": "/usr/bin:/bin", "GATEHOUSE_INSTANCE_DIR": str(tmp_path / "never-made"),
           "GATEHOUSE_CACHE": "not-a-cache"}  # a bad setting would stop a command that builds the app
    result = subprocess.run([str(gatehouse), "--version"], env=env, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (0, f"gatehouse {version()}\n")
    assert version() != "unknown" and not (tmp_path / "never-made").exists()


def test_readyz_tells_no_version_even_to_loopback(client):
    for headers in ({}, {"X-Forwarded-For": "203.0.113.9"}):
        response = client.get("/readyz", headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"})
        assert response.status_code == 200 and response.get_data(as_text=True) == "ready\n"
        assert version() not in response.get_data(as_text=True)
