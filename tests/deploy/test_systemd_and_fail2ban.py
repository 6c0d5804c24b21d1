"""deploy/gatehouse.service: systemd accepts it, and it is as hardened as the issue asks."""

import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.external import require_external

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "gatehouse.service"
REQUIRED = {
    "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
    "StateDirectory": "gatehouse", "Environment": "GATEHOUSE_INSTANCE_DIR=/var/lib/gatehouse",
    "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX", "KillSignal": "SIGTERM", "TimeoutStopSec": "30",
    "Restart": "on-failure", "User": "gatehouse",
    "ExecStart": "/opt/gatehouse/.venv/bin/gunicorn -c gunicorn.conf.py wsgi:app",
}


def directives() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


@pytest.fixture
def installed_unit(tmp_path):
    """The unit as it would be installed from this checkout: /opt/gatehouse is here, its venv ours."""
    if shutil.which("systemd-analyze") is None:
        require_external("systemd-analyze is not installed (apt-get install systemd)")
    text = UNIT.read_text().replace("/opt/gatehouse/.venv/bin", str(Path(sys.executable).parent))
    path = tmp_path / "gatehouse.service"
    path.write_text(text.replace("/opt/gatehouse", str(ROOT)))
    return path


def test_systemd_analyze_verify_is_clean(installed_unit):
    result = subprocess.run(["systemd-analyze", "verify", str(installed_unit)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == "", result.stderr  # unknown keys only warn


def test_systemd_rates_the_sandbox_ok(installed_unit):
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--no-pager", str(installed_unit)],
        capture_output=True, text=True,
    )
    level = result.stdout.rsplit("Overall exposure level for gatehouse.service:", 1)[1].split()[0]
    assert float(level) <= 2.0, result.stdout


def test_unit_has_the_required_hardening_and_runs_the_shipped_config():
    found = directives()
    for key, value in REQUIRED.items():
        assert value in found.get(key, []), key


def test_reload_checks_the_rules_before_it_signals():
    """A broken rules file fails `systemctl reload` with its line instead of reaching the server."""
    assert directives()["ExecReload"] == ["/opt/gatehouse/.venv/bin/gatehouse access check", "/bin/kill -HUP $MAINPID"]


def test_systemd_waits_longer_than_gunicorn_drains():
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["graceful_timeout"] == 25 < int(directives()["TimeoutStopSec"][0])


def test_the_file_limit_holds_every_connection_gunicorn_accepts_with_room_to_spare():
    """Issue 22: systemd's default 1024 left 9 descriptors beside gunicorn's 1000 connections."""
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    [limit] = directives()["LimitNOFILE"]
    assert int(limit) >= settings["worker_connections"] + 512  # the worker's own files, with a margin
