"""deploy/compose/ brought up with the real podman-compose: Gatehouse from `make image`, a real
Caddy and a whoami-like tool, both built from Debian's packages (tests/e2e/images/), since no
other registry is reachable here; the shipped compose file takes them through its *_IMAGE
variables. As in tests/e2e/caddy.py, the shipped files are used as written except for what a
test must change, and each change must match: plain HTTP on one free loopback port, the
`gatehouse.test` names, and two settings for plain HTTP and a quick hash.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import yaml

from tests.support.app import PASSWORD
from tests.support.external import require_external
from tests.support.proxied import PAGE, rd_of, sign_in
from tests.e2e.caddy import substitute
from tests.e2e.server import ROOT, free_port
from tests.e2e.tools import resolve_test_domain
from tests.support import containers
from tests.support.containers import Container, podman

pytestmark = pytest.mark.external
SHIPPED = ROOT / "deploy" / "compose"


@dataclass
class Stack:
    project: str
    portal: str
    tool: str
    subnet: ipaddress.IPv4Network

    def container(self, service: str) -> Container:
        names = podman("ps", "--filter", f"label=io.podman.compose.project={self.project}", "--filter",
                       f"label=com.docker.compose.service={service}", "--format", "{{.Names}}").stdout.split()
        assert len(names) == 1, names
        return Container(names[0])


def compose(folder: Path, project: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    images = {"GATEHOUSE_IMAGE": containers.GATEHOUSE, "CADDY_IMAGE": containers.CADDY, "TOOL_IMAGE": containers.WHOAMI}
    result = subprocess.run(["podman-compose", "-p", project, *args], cwd=folder, env={**containers.env(), **images},
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result


def prepare(folder: Path, port: int) -> None:
    """The shipped folder, changed only where a test must: see the module docstring."""
    shutil.copytree(SHIPPED, folder)
    edits = {
        "compose.yaml": [('"80:80"', f'"127.0.0.1:{port}:80"', 1), ('      - "443:443"\n', "", 1)],
        "Caddyfile": [("\nauth.example.org {", "\nhttp://auth.gatehouse.test {", 1),
                      ("\nwhoami.example.org {", "\nhttp://whoami.gatehouse.test {", 1)],
        "gatehouse.env": [("=https://auth.example.org\n", f"=http://auth.gatehouse.test:{port}\n", 1),
                          ("=example.org\n", "=gatehouse.test\n", 1)],
    }
    for name, replacements in edits.items():
        (folder / name).write_text(substitute(folder / name, replacements))
    with open(folder / "gatehouse.env", "a") as settings:
        settings.write("GATEHOUSE_COOKIE_SECURE=0\nGATEHOUSE_BCRYPT_ROUNDS=4\n")
    # The key as docs/container.md makes it: owner-only, owned by the image's user (uid 10001).
    key = folder / "secret-key"
    key.write_text(uuid.uuid4().hex + uuid.uuid4().hex + "\n")
    key.chmod(0o400)
    if os.geteuid() == 0:
        os.chown(key, 10001, 10001)
    else:
        podman("unshare", "chown", "10001:10001", str(key))


def old_podman_compose() -> bool:
    """podman-compose before 1.0.6 (Debian 12 has 1.0.3) creates networks without their `ipam` subnet."""
    found = re.search(r"podman-compose(?:r)? version\s+(\d+)\.(\d+)\.(\d+)",
                      subprocess.run(["podman-compose", "version"], capture_output=True, text=True).stdout)
    return found is None or tuple(map(int, found.groups())) < (1, 0, 6)


@pytest.fixture
def stack(tmp_path, monkeypatch):
    missing = containers.missing_programs()
    if missing:
        require_external(f"{', '.join(missing)} not installed (apt-get install podman podman-compose debootstrap runc)")
    containers.gatehouse_image()
    containers.stand_in_image(containers.CADDY, "caddy.Containerfile")
    containers.stand_in_image(containers.WHOAMI, "tool.Containerfile")
    port, project, folder = free_port(), f"gatehousetest{uuid.uuid4().hex[:8]}", tmp_path / "compose"
    prepare(folder, port)
    auth = yaml.safe_load((folder / "compose.yaml").read_text())["networks"]["auth"]
    subnet = auth["ipam"]["config"][0]["subnet"]
    # A run killed before its teardown leaves its networks, which hold the fixed subnet.
    for stale in podman("network", "ls", "--format", "{{.Name}}").stdout.split():
        if stale.startswith("gatehousetest"):
            podman("network", "rm", "--force", stale, check=False)
    if old_podman_compose():  # what docs/container.md tells its users to do first
        podman("network", "create", "--internal", "--subnet", subnet, f"{project}_auth")
    try:
        compose(folder, project, "up", "-d")
        resolve_test_domain(monkeypatch)
        stack = Stack(project, f"http://auth.gatehouse.test:{port}", f"http://whoami.gatehouse.test:{port}",
                      ipaddress.ip_network(subnet))
        wait_through_caddy(stack)
        yield stack
    finally:
        subprocess.run(["podman-compose", "-p", project, "down", "-v", "-t", "30"], cwd=folder, env=containers.env(),
                       capture_output=True, timeout=300)
        podman("network", "rm", "--force", f"{project}_auth", f"{project}_edge", check=False)


def wait_through_caddy(stack: Stack, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(stack.portal + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise AssertionError("the portal did not answer through Caddy:\n" + stack.container("gatehouse").logs()
                         + stack.container("caddy").logs())


def test_a_page_of_the_tool_asks_for_sign_in_then_the_tool_sees_remote_user(stack):
    gatehouse = stack.container("gatehouse")
    assert gatehouse.exec("gatehouse", "set-password", "--stdin", stdin=PASSWORD + "\n").returncode == 0
    browser = requests.Session()
    page = stack.tool + "/dashboard?tab=1"
    first = browser.get(page, headers=PAGE, allow_redirects=False)
    assert first.status_code == 302, first.text
    assert first.headers["Location"].startswith(stack.portal + "/login?rd=")
    assert rd_of(first.headers["Location"]) == page

    signed_in = sign_in(browser, first.headers["Location"], stack.portal)
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == page
    tool = browser.get(page, headers={**PAGE, "Remote-User": "mallory"}, allow_redirects=False)
    assert tool.status_code == 200 and tool.text.startswith("GET /dashboard?tab=1 ")
    identity = [line for line in tool.text.splitlines() if line.lower().startswith(("remote-user:", "remote_user:"))]
    assert identity == ["Remote-User: admin"]

    # Gatehouse believed Caddy's X-Forwarded-For (GATEHOUSE_TRUSTED_PROXIES names the auth network):
    # the session's address is the client's as Caddy saw it, not Caddy's own.
    caddy_ip = stack.container("caddy").inspect("{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}").split()
    assert any(ipaddress.ip_address(ip) in stack.subnet for ip in caddy_ip)
    sessions = gatehouse.exec("gatehouse", "sessions", "list").stdout.splitlines()[1:]
    assert len(sessions) == 1
    seen_as = ipaddress.ip_address(re.search(r"\s(\d+\.\d+\.\d+\.\d+)\s", sessions[0]).group(1))
    assert seen_as not in stack.subnet and str(seen_as) not in caddy_ip
    assert "untrusted_forwarded_for" not in gatehouse.logs()
