"""Access rules (docs/access.md) as deployed: real gunicorn behind real nginx and Caddy with the
shipped deploy/ files (tests/support/proxied.py's machinery) and a rules file in the
instance folder. Bypass by path, deny (Gatehouse's 403 page through both proxies), a LAN network
read from the proxy's X-Forwarded-For, a tool's own Bearer key passing to the tool untouched,
and Proxy-Authorization for a script that needs both.

"The LAN" is 127.0.0.1; a client outside connects from 127.0.0.2 (any 127/8 address is ours
on Linux), so the proxy's `$remote_addr` / Caddy's peer differ and nothing else does.
"""

from __future__ import annotations

import pytest
import requests
from requests.adapters import HTTPAdapter

from tests.support.app import PASSWORD
from tests.support.proxied import PAGE, Stack, assert_sent_to_login, proxied_portal, sign_in
from tests.e2e.tools import resolve_test_domain, seen

RULES = """\
[networks]
home = ["127.0.0.1/32"]

[[rule]]
name = "no admin from outside"
hosts = ["*.gatehouse.test"]
paths = ["/admin/**"]
networks = ["!home"]
policy = "deny"

[[rule]]
name = "app1 api keys"
hosts = ["app1.gatehouse.test"]
paths = ["/api/**"]
policy = "bypass"

[[rule]]
name = "app1 closed"
hosts = ["app1.gatehouse.test"]
paths = ["/closed/**"]
policy = "deny"

[[rule]]
name = "app2 at home"
hosts = ["app2.gatehouse.test"]
networks = ["home"]
policy = "bypass"
"""
SCRIPT = {"Accept": "application/json"}
GRAFANA_KEY = "Bearer glsa_0123456789abcdefABCDEF_deadbeef"


class FromAddress(HTTPAdapter):
    """Connections from one local source address (the client's address as the proxy sees it)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def client_at(address: str) -> requests.Session:
    browser = requests.Session()
    browser.mount("http://", FromAddress(address))
    return browser


@pytest.fixture(params=["nginx", "caddy"])
def stack(request, tmp_path, tools, monkeypatch):
    with proxied_portal(request.param, tmp_path, (tools[0].port, tools[1].port), rules=RULES) as port:
        resolve_test_domain(monkeypatch)
        yield Stack(request.param, f"http://auth.gatehouse.test:{port}", f"http://app1.gatehouse.test:{port}",
                    f"http://app2.gatehouse.test:{port}")


def signed_in_browser(stack: Stack, address: str = "127.0.0.1") -> requests.Session:
    browser = client_at(address)
    first = browser.get(stack.app1 + "/d/1", headers=PAGE, allow_redirects=False)
    assert sign_in(browser, first.headers["Location"], stack.portal).status_code == 303
    return browser


def test_bypass_by_path_and_the_tools_own_key_reaches_it_untouched(stack):
    outside = client_at("127.0.0.2")
    anonymous = outside.get(stack.app1 + "/api/health", headers=SCRIPT)
    assert anonymous.status_code == 200 and seen(anonymous.text) == {
        "tool": "app1", "path": "/api/health", "remote_user": []}
    keyed = outside.get(stack.app1 + "/api/dashboards", headers={**SCRIPT, "Authorization": GRAFANA_KEY})
    assert keyed.status_code == 200 and seen(keyed.text) == {
        "tool": "app1", "path": "/api/dashboards", "remote_user": [], "authorization": [GRAFANA_KEY]}
    # Outside the bypassed paths the key is still not Gatehouse's: a plain 401, never invalid_token.
    refused = outside.get(stack.app1 + "/d/1", headers={**SCRIPT, "Authorization": GRAFANA_KEY}, allow_redirects=False)
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == 'Bearer realm="gatehouse"'
    assert "says hello" not in refused.text
    # A path the proxy passes as sent, but servers may read differently: not the bypass.
    for path in ("/api/%2e%2e/d/1", "/api/..%2fd/1", "/api/..;/d/1"):
        tricky = outside.get(stack.app1 + path, headers=SCRIPT, allow_redirects=False)
        assert tricky.status_code in (400, 401, 403) and "says hello" not in tricky.text, (path, tricky.status_code)


def test_a_signed_in_browser_on_a_bypassed_path_is_named(stack):
    browser = signed_in_browser(stack)
    answer = browser.get(stack.app1 + "/api/health", headers=SCRIPT)
    assert seen(answer.text)["remote_user"] == ["admin"]


def test_deny_shows_gatehouses_page_through_the_proxy(stack):
    browser = signed_in_browser(stack)
    page = browser.get(stack.app1 + "/closed/x", headers=PAGE, allow_redirects=False)
    assert page.status_code == 403 and "says hello" not in page.text
    assert "<h1>Closed</h1>" in page.text and f'href="{stack.portal}/static/css/gatehouse.css"' in page.text
    assert f"style-src {stack.portal}" in page.headers["Content-Security-Policy"]
    script = browser.get(stack.app1 + "/closed/x", headers=SCRIPT, allow_redirects=False)
    assert script.status_code == 403 and script.json()["error"] == "forbidden"
    # The stylesheet the page names is the portal's, and loads.
    assert requests.get(f"{stack.portal}/static/css/gatehouse.css").status_code == 200


def test_a_lan_network_from_the_proxys_forwarded_address(stack):
    home, outside = client_at("127.0.0.1"), client_at("127.0.0.2")
    at_home = home.get(stack.app2 + "/files", headers=PAGE, allow_redirects=False)
    assert at_home.status_code == 200 and seen(at_home.text) == {"tool": "app2", "path": "/files", "remote_user": []}
    assert_sent_to_login(outside.get(stack.app2 + "/files", headers=PAGE, allow_redirects=False), stack,
                         stack.app2 + "/files")
    # Claiming home in a header of one's own: each proxy puts the peer's address there instead.
    for claim in ("127.0.0.1", "127.0.0.1, 127.0.0.1"):
        spoofed = outside.get(stack.app2 + "/files", headers={**PAGE, "X-Forwarded-For": claim}, allow_redirects=False)
        assert spoofed.status_code == 302 and "says hello" not in spoofed.text, claim


def test_no_admin_path_from_outside(stack):
    outside = signed_in_browser(stack, "127.0.0.2")
    for url in (stack.app1 + "/admin/", stack.app2 + "/admin/users", stack.app2 + "/admin"):
        answer = outside.get(url, headers=PAGE, allow_redirects=False)
        assert answer.status_code == 403 and "says hello" not in answer.text, url
    home = signed_in_browser(stack, "127.0.0.1")
    assert seen(home.get(stack.app1 + "/admin/", headers=PAGE).text)["path"] == "/admin/"


def test_proxy_authorization_for_a_script_that_needs_both(stack):
    token = requests.post(stack.portal + "/api/v1/auth/token", json={"password": PASSWORD, "label": "cron"}).json()["token"]
    both = {**SCRIPT, "Proxy-Authorization": f"Bearer {token}", "Authorization": GRAFANA_KEY}
    answer = client_at("127.0.0.2").get(stack.app1 + "/d/1", headers=both, allow_redirects=False)
    assert answer.status_code == 200, answer.text
    # The tool gets its own key and Gatehouse's identity, never Gatehouse's token.
    assert seen(answer.text) == {"tool": "app1", "path": "/d/1", "remote_user": ["admin"], "authorization": [GRAFANA_KEY]}
