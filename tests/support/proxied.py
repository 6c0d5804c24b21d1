"""Forward auth through the real proxies: Gatehouse behind nginx or Caddy with two tools, and signing in there."""

from __future__ import annotations

import html
import re
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.support.app import CSRF_RE, PASSWORD
from tests.support.external import require_external
from tests.e2e.caddy import Caddy, caddy_binary, subdomains_config
from tests.e2e.nginx import Nginx, nginx_binary
from tests.e2e.nginx import subdomains_config as nginx_subdomains_config
from tests.e2e.server import Server, free_port
from tests.e2e.tools import Tool

PAGE = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
RD_RE = re.compile(r'name="rd" type="hidden" value="([^"]*)"')


@dataclass
class Stack:
    proxy: str
    portal: str
    app1: str
    app2: str


@pytest.fixture
def tools():
    started = [Tool("app1"), Tool("app2")]
    yield started
    for tool in started:
        tool.stop()


def start_proxy(kind: str, tmp_path, port: int, gatehouse_port: int, tool_ports: tuple[int, int]):
    if kind == "nginx":
        binary = nginx_binary()
        if binary is None:
            require_external("nginx is not installed (apt-get install nginx-light)")
        return Nginx(tmp_path / "nginx", 0, 0, nginx_subdomains_config(port, gatehouse_port, tool_ports), port).start(binary)
    binary = caddy_binary()
    if binary is None:
        require_external("caddy is not installed (apt-get install caddy)")
    return Caddy(tmp_path / "caddy", subdomains_config(port, gatehouse_port, tool_ports), port).start(binary, f"auth.gatehouse.test:{port}")


@contextmanager
def proxied_portal(kind: str, tmp_path, tool_ports: tuple[int, int], rules: str | None = None):
    """Gatehouse at auth.gatehouse.test behind `kind` with its shipped subdomain file, the two
    tools at app1 and app2, all on one free port: yields that port. `rules`: an access rules
    file (docs/access.md) in the instance folder, where the server finds it unasked."""
    port = free_port()
    server = Server(tmp_path / "instance", GATEHOUSE_PUBLIC_URL=f"http://auth.gatehouse.test:{port}",
                    GATEHOUSE_COOKIE_DOMAIN="gatehouse.test", GATEHOUSE_TRUSTED_PROXIES="127.0.0.1")
    if rules is not None:
        (tmp_path / "instance").mkdir(mode=0o700, exist_ok=True)
        (tmp_path / "instance" / "access.toml").write_text(rules)
    server.prepare(PASSWORD)
    server.start()
    proxy = None
    try:
        proxy = start_proxy(kind, tmp_path, port, server.port, tool_ports)
        yield port
    finally:
        if proxy:
            proxy.stop()
        server.stop()


def rd_of(location: str) -> str:
    return parse_qs(urlsplit(location).query)["rd"][0]


def sign_in(browser: requests.Session, login_url: str, portal: str) -> requests.Response:
    """What a browser does on the login page: read its form, post it with the password."""
    page = browser.get(login_url, headers=PAGE, allow_redirects=False)
    assert page.status_code == 200, page.text
    form = {"csrf_token": CSRF_RE.search(page.text).group(1), "password": PASSWORD,
            "rd": html.unescape(RD_RE.search(page.text).group(1))}
    return browser.post(portal + "/login", data=form, headers=PAGE, allow_redirects=False)


def assert_sent_to_login(response, stack: Stack, page: str) -> None:
    assert response.status_code == 302, (response.status_code, response.text)
    assert response.headers["Location"].startswith(stack.portal + "/login?rd=")
    assert rd_of(response.headers["Location"]) == page
    assert "says hello" not in response.text
