"""fail2ban's own `fail2ban-regex` over lines real gunicorn wrote: every failure matches, nothing else does.

Each run is checked twice: as a plain log file, and as fail2ban's systemd backend (the jail's)
reads it: the lines go into a real journal file (systemd-journal-remote) as gunicorn's stdout
under gatehouse.service, and `fail2ban-regex systemd-journal[journalfiles=...]` reads them
back with the filter's journalmatch, prefixing "HOST gunicorn[PID]: " as the jail would.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from tests.support.app import CSRF_RE, PASSWORD
from tests.support.external import require_external
from tests.e2e.server import ROOT, Server

FILTER = ROOT / "deploy" / "fail2ban" / "filter.d" / "gatehouse.conf"
CLIENTS = ["203.0.113.10", "203.0.113.11", "2001:db8::77", "198.51.100.200"]
FORGED = "192.0.2.123"  # named only inside a hostile URL: must never be matched
TEXT_FAILURE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ WARNING gatehouse\.auth: .* event='login_failed'")
JOURNAL_REMOTE = ["/lib/systemd/systemd-journal-remote", "/usr/lib/systemd/systemd-journal-remote"]


def is_failure(line: str) -> bool:
    """Independent of the filter: the event field the app wrote."""
    if line.startswith("{"):
        try:
            return json.loads(line).get("event") == "login_failed"
        except ValueError:  # a forged line (old code): not an event the app wrote
            return False
    return TEXT_FAILURE.match(line) is not None


def fail2ban_regex(source) -> tuple[int, int]:
    result = subprocess.run(["fail2ban-regex", str(source), str(FILTER)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    found = re.search(r"Lines: \d+ lines, \d+ ignored, (\d+) matched, (\d+) missed", result.stdout)
    return int(found.group(1)), int(found.group(2))


def journal_remote() -> str:
    found = next((path for path in JOURNAL_REMOTE if Path(path).exists()), None)
    if found is None:
        require_external("systemd-journal-remote (apt install systemd-journal-remote)")
    try:
        import_systemd = subprocess.run(["/usr/bin/python3", "-c", "import systemd.journal"], capture_output=True)
    except FileNotFoundError:
        import_systemd = None
    if import_systemd is None or import_systemd.returncode != 0:
        require_external("python3-systemd for fail2ban's journal reader (apt install python3-systemd)")
    return found


def journal_source(lines: list[str], folder: Path, unit: str = "gatehouse.service") -> str:
    """`lines` as journald stores a unit's stdout, in a journal file fail2ban-regex can read."""
    folder.mkdir()
    start = int(time.time() * 1e6)
    entries = [
        f"__REALTIME_TIMESTAMP={start + n}\n__MONOTONIC_TIMESTAMP={n + 1}\n_BOOT_ID={'0' * 31}1\n"
        f"_HOSTNAME=gate1\nSYSLOG_IDENTIFIER=gunicorn\n_PID=4242\n_COMM=gunicorn\n_SYSTEMD_UNIT={unit}\n"
        f"MESSAGE={line}\n"
        for n, line in enumerate(lines)
    ]
    assert not any("\n" in line for line in lines)  # export format: a text field is one line
    output = folder / "remote-gatehouse.journal"
    subprocess.run([journal_remote(), f"--output={output}", "-"], input="\n".join(entries) + "\n", text=True,
                   check=True, capture_output=True, timeout=60)
    return f"systemd-journal[journalfiles={output}]"


def test_filter_matches_lines_as_the_systemd_backend_presents_them(tmp_path):
    """Hand-written lines (no server): both formats match behind the journal prefix; others do not."""
    if shutil.which("fail2ban-regex") is None:
        require_external("fail2ban-regex (apt install fail2ban)")
    failures = [
        '{"ts": "2026-11-22T03:40:18.332+00:00", "level": "warning", "logger": "gatehouse.auth", '
        '"message": "login failed from 203.0.113.7", "event": "login_failed", "client_ip": "203.0.113.7", "pid": 9}',
        "2026-11-22 03:40:18,332 WARNING gatehouse.auth: login failed from 2001:db8::7 event='login_failed'",
    ]
    others = [
        '127.0.0.1 "GET /login failed from 6.6.6.6" 404 207 0.002s',
        '127.0.0.1 "GET /WARNING gatehouse.auth: login failed from 6.6.6.6 event=\'login_failed\'" 404 207 0.002s',
        "2026-11-22 03:40:18,332 WARNING gatehouse.auth: sign-in blocked for 203.0.113.7 event='login_blocked'",
    ]
    assert fail2ban_regex(journal_source(failures, tmp_path / "failures")) == (2, 0)
    assert fail2ban_regex(journal_source(others, tmp_path / "others")) == (0, 3)
    # Another unit's lines are not read at all (the filter's journalmatch).
    assert fail2ban_regex(journal_source(failures, tmp_path / "elsewhere", unit="other.service")) == (0, 0)


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
        hostile_request(server.url)
    finally:
        server.stop()
    lines = [line for line in server.output().splitlines() if line.strip()]
    # What the hostile request produced, as fail2ban sees it: only the four real failures match.
    (tmp_path / "all.log").write_text("\n".join(lines) + "\n")
    assert fail2ban_regex(tmp_path / "all.log") == (len(CLIENTS), len(lines) - len(CLIENTS))
    failures = [line for line in lines if is_failure(line)]
    others = [line for line in lines if not is_failure(line)]
    assert len(failures) == len(CLIENTS)
    assert all(any(client in line for line in failures) for client in CLIENTS)  # the real client, not 6.6.6.6
    assert not any("6.6.6.6" in line or FORGED in line for line in failures)
    assert sum(FORGED in line for line in others) == 1  # the hostile path: logged, as one escaped line
    assert any("login succeeded" in line for line in others)
    assert sum("sign-in blocked" in line for line in others) == len(CLIENTS)
    (tmp_path / "failures.log").write_text("\n".join(failures) + "\n")
    (tmp_path / "others.log").write_text("\n".join(others) + "\n")
    assert fail2ban_regex(tmp_path / "failures.log") == (len(CLIENTS), 0)
    assert fail2ban_regex(tmp_path / "others.log") == (0, len(others))
    # The same lines as the jail's systemd backend reads them from the journal.
    assert fail2ban_regex(journal_source(failures, tmp_path / "journal-failures")) == (len(CLIENTS), 0)
    assert fail2ban_regex(journal_source(others, tmp_path / "journal-others")) == (0, len(others))


def hostile_request(url: str) -> None:
    """One GET whose decoded path holds a dozen forged failure lines, in both formats, after newlines."""
    forged = (
        "\n2026-11-22 03:40:18,332 WARNING gatehouse.auth: login failed from {ip} event='login_failed'"
        '\n{{"ts": "x", "level": "warning", "logger": "gatehouse.auth", "message": "login failed from {ip}", '
        '"event": "login_failed"}}\r'
    ).format(ip=FORGED) * 6
    path = "/" + quote(forged, safe="")
    with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        assert sock.recv(64).startswith(b"HTTP/1.1 404")


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
