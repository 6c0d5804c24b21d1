"""Forward auth for real: nginx (auth_request, the shipped example) → gunicorn, guarding a tiny tool."""

import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.support.app import CSRF_RE, PASSWORD
from tests.support.external import require_external
from tests.e2e.nginx import Nginx, nginx_binary
from tests.e2e.server import free_port

TOOL_TEXT = "the protected tool says hello"


@pytest.fixture
def tool(tmp_path):
    """The upstream being protected: python's http.server serving one page."""
    root = tmp_path / "tool"
    root.mkdir()
    (root / "index.html").write_text(TOOL_TEXT)
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(root)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=1)
            break
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.1)
    yield port
    process.terminate()
    process.wait(10)


@pytest.fixture
def proxy(tmp_path, server, tool):
    binary = nginx_binary()
    if binary is None:
        require_external("nginx is not installed (apt-get install nginx-light)")
    nginx = Nginx(tmp_path / "nginx", server.port, tool).start(binary)
    yield nginx
    nginx.stop()


def next_of(response) -> str:
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login", response.headers["Location"]
    return parse_qs(location.query)["next"][0]


def test_sign_in_reach_the_tool_sign_out(proxy):
    browser = requests.Session()
    first = browser.get(proxy.url + "/console/?a=1&b=2", allow_redirects=False)
    assert first.status_code == 303 and next_of(first) == "/console/?a=1&b=2"
    assert TOOL_TEXT not in first.text

    login_page = browser.get(proxy.url + first.headers["Location"])
    assert login_page.status_code == 200 and 'value="/console/?a=1&amp;b=2"' in login_page.text
    token = CSRF_RE.search(login_page.text).group(1)
    signed_in = browser.post(proxy.url + "/login", data={"csrf_token": token, "password": PASSWORD, "next": "/console/?a=1&b=2"},
                             allow_redirects=False)
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/console/?a=1&b=2"
    tool_page = browser.get(proxy.url + signed_in.headers["Location"], allow_redirects=False)
    assert tool_page.status_code == 200 and tool_page.text == TOOL_TEXT

    token = CSRF_RE.search(browser.get(proxy.url + "/logout").text).group(1)
    out = browser.post(proxy.url + "/logout", data={"csrf_token": token}, allow_redirects=False)
    assert out.status_code == 303 and out.headers["Location"] == "/login"
    again = browser.get(proxy.url + "/console/", allow_redirects=False)
    assert again.status_code == 303 and next_of(again) == "/console/"


def test_bearer_token_passes_and_forged_one_does_not(proxy):
    token = requests.post(proxy.url + "/api/v1/auth/token", json={"password": PASSWORD, "label": "nginx test"}).json()["token"]
    ok = requests.get(proxy.url + "/console/", headers={"Authorization": f"Bearer {token}"}, allow_redirects=False)
    assert ok.status_code == 200 and ok.text == TOOL_TEXT
    forged = requests.get(proxy.url + "/console/", headers={"Authorization": "Bearer " + token[:-2] + "xx"}, allow_redirects=False)
    assert forged.status_code == 303 and next_of(forged) == "/console/"


def test_verify_location_is_internal(proxy):
    assert requests.get(proxy.url + "/_gatehouse/verify").status_code == 404
    assert requests.get(proxy.url + "/healthz").text == "ok\n"
