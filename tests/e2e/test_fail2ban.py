"""fail2ban's own `fail2ban-regex` over lines real gunicorn wrote: every failure matches, nothing else does."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from tests.conftest import CSRF_RE, PASSWORD, require_external
from tests.e2e.server import ROOT, Server

FILTER = ROOT / "deploy" / "fail2ban" / "filter.d" / "gatehouse.conf"
CLIENTS = ["203.0.113.10", "203.0.113.11", "2001:db8::77", "198.51.100.200"]


def is_failure(line: str) -> bool:
    """Independent of the filter: the event field the app wrote."""
    if line.startswith("{"):
        return json.loads(line).get("event") == "login_failed"
    return "event='login_failed'" in line


def fail2ban_regex(path) -> tuple[int, int]:
    result = subprocess.run(["fail2ban-regex", str(path), str(FILTER)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    found = re.search(r"Lines: \d+ lines, \d+ ignored, (\d+) matched, (\d+) missed", result.stdout)
    return int(found.group(1)), int(found.group(2))


@pytest.mark.external
@pytest.mark.parametrize("log_format", ["json", "text"])
def test_fail2ban_filter_matches_every_failure_and_nothing_else(tmp_path, log_format):
    if shutil.which("fail2ban-regex") is None:
        require_external("fail2ban-regex (apt install fail2ban)")
    # A ban at the first failure, so the "sign-in blocked" lines are among those that must not match.
    server = Server(tmp_path / "instance", GATEHOUSE_LOG_FORMAT=log_format, GATEHOUSE_TRUSTED_PROXIES="127.0.0.1",
                    GATEHOUSE_LOGIN_BAN="1/900")
    server.prepare(PASSWORD)
    server.start()
    try:
        browser = requests.Session()
        for client in CLIENTS:
            token = CSRF_RE.search(browser.get(server.url + "/login").text).group(1)
            for password in ("wrong guess number one", PASSWORD):  # the second is refused (429): no line
                browser.post(server.url + "/login", data={"csrf_token": token, "password": password},
                             headers={"X-Forwarded-For": f"6.6.6.6, {client}"}, allow_redirects=False)
        token = CSRF_RE.search(browser.get(server.url + "/login").text).group(1)
        ok = browser.post(server.url + "/login", data={"csrf_token": token, "password": PASSWORD},
                          headers={"X-Forwarded-For": "192.0.2.50"}, allow_redirects=False)
        assert ok.status_code == 303
        browser.get(server.url + "/login failed from 6.6.6.7")  # client-controlled text in the access log
    finally:
        server.stop()
    lines = [line for line in server.output().splitlines() if line.strip()]
    failures = [line for line in lines if is_failure(line)]
    others = [line for line in lines if not is_failure(line)]
    assert len(failures) == len(CLIENTS)
    assert all(any(client in line for line in failures) for client in CLIENTS)  # the real client, not 6.6.6.6
    assert not any("6.6.6.6" in line for line in failures)
    assert any("login succeeded" in line for line in others)
    assert sum("sign-in blocked" in line for line in others) == len(CLIENTS)
    (tmp_path / "failures.log").write_text("\n".join(failures) + "\n")
    (tmp_path / "others.log").write_text("\n".join(others) + "\n")
    assert fail2ban_regex(tmp_path / "failures.log") == (len(CLIENTS), 0)
    assert fail2ban_regex(tmp_path / "others.log") == (0, len(others))


@pytest.mark.external
def test_jail_loads_in_fail2ban(tmp_path):
    if shutil.which("fail2ban-client") is None or not Path("/etc/fail2ban/jail.conf").exists():
        require_external("fail2ban-client (apt install fail2ban)")
    conf = tmp_path / "fail2ban"
    shutil.copytree("/etc/fail2ban", conf)
    shutil.copy(FILTER, conf / "filter.d")
    shutil.copy(ROOT / "deploy" / "fail2ban" / "jail.d" / "gatehouse.local", conf / "jail.d")
    result = subprocess.run(["fail2ban-client", "-c", str(conf), "-d"], capture_output=True, text=True, timeout=60)
    dump = result.stdout
    assert "['add', 'gatehouse', 'systemd']" in dump
    assert "['set', 'gatehouse', 'addjournalmatch', '_SYSTEMD_UNIT=gatehouse.service']" in dump
    assert "login failed from <ADDR>" in dump
