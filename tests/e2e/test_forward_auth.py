"""Forward auth for tools on their own host names, with the real proxies from deploy/.

nginx (auth_request → /api/v1/auth/verify, deploy/nginx/subdomains.conf) and Caddy
(forward_auth → /api/v1/auth/forward-auth, deploy/caddy/subdomains.Caddyfile) in front of
real gunicorn and two tiny tools: portal at auth.gatehouse.test, tools at
app1.gatehouse.test and app2.gatehouse.test, all on 127.0.0.1 (requests resolves the names
through `resolve_test_domain`). Plain HTTP on loopback, so GATEHOUSE_COOKIE_SECURE=0 and
the session cookie is `gatehouse_session` with Domain=gatehouse.test; with TLS it would be
`__Secure-gatehouse_session`. Traefik asks the same endpoint as Caddy in the same way
(ForwardAuth), so the Caddy runs cover its behaviour; Traefik itself is not packaged here.
"""

from __future__ import annotations

import html

import pytest
import requests

from tests.support.app import CSRF_RE, PASSWORD
from tests.support.external import require_external
from tests.support.proxied import PAGE, RD_RE, Stack, assert_sent_to_login, proxied_portal, rd_of, sign_in
from tests.e2e.caddy import Caddy, caddy_binary, same_host_config
from tests.e2e.nginx import Nginx, nginx_binary
from tests.e2e.nginx import subdomains_config as nginx_subdomains_config
from tests.e2e.server import Server, free_port
from tests.e2e.tools import Tool, resolve_test_domain, seen

XHR = {"Accept": "application/json", "X-Requested-With": "XMLHttpRequest"}


@pytest.fixture(params=["nginx", "caddy"])
def stack(request, tmp_path, tools, monkeypatch):
    with proxied_portal(request.param, tmp_path, (tools[0].port, tools[1].port)) as port:
        resolve_test_domain(monkeypatch)
        yield Stack(request.param, f"http://auth.gatehouse.test:{port}", f"http://app1.gatehouse.test:{port}",
                    f"http://app2.gatehouse.test:{port}")


def test_sign_in_lands_on_the_page_asked_for_and_sign_out_closes_both_tools(stack):
    browser = requests.Session()
    page = stack.app1 + "/d/abc?orgId=1&from=now-1h"
    first = browser.get(page, headers=PAGE, allow_redirects=False)
    assert_sent_to_login(first, stack, page)

    signed_in = sign_in(browser, first.headers["Location"], stack.portal)
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == page
    cookie = next(c for c in browser.cookies if c.name == "gatehouse_session")
    assert cookie.domain.lstrip(".") == "gatehouse.test"
    assert {c.name for c in browser.cookies if c.domain.lstrip(".") == "gatehouse.test"} == {"gatehouse_session"}

    tool = browser.get(page, headers=PAGE, allow_redirects=False)
    assert tool.status_code == 200
    assert seen(tool.text) == {"tool": "app1", "path": "/d/abc?orgId=1&from=now-1h", "remote_user": ["admin"]}
    other = browser.get(stack.app2 + "/files", headers=PAGE, allow_redirects=False)
    assert other.status_code == 200 and seen(other.text) == {"tool": "app2", "path": "/files", "remote_user": ["admin"]}
    # Already signed in: the login page goes straight on to rd.
    again = browser.get(first.headers["Location"], headers=PAGE, allow_redirects=False)
    assert again.status_code == 303 and again.headers["Location"] == page

    logout = browser.get(stack.portal + "/logout", headers=PAGE)
    out = browser.post(stack.portal + "/logout", data={"csrf_token": CSRF_RE.search(logout.text).group(1)}, allow_redirects=False)
    assert out.status_code == 303
    assert_sent_to_login(browser.get(page, headers=PAGE, allow_redirects=False), stack, page)
    assert_sent_to_login(browser.get(stack.app2 + "/files", headers=PAGE, allow_redirects=False), stack, stack.app2 + "/files")


def test_xhr_and_scripts_get_401_not_a_redirect(stack):
    for headers in (XHR, {"Accept": "application/json"}, {**PAGE, "X-Requested-With": "XMLHttpRequest"}):
        answer = requests.get(stack.app1 + "/api/data", headers=headers, allow_redirects=False)
        assert answer.status_code == 401, (headers, answer.status_code)
        assert "Location" not in answer.headers
        assert answer.json()["error"] == "unauthorized"
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_forged_remote_user_never_reaches_the_tool(stack):
    forged = {"Remote-User": "mallory", "Remote_User": "mallory"}
    signed_out = requests.get(stack.app1 + "/", headers={**PAGE, **forged}, allow_redirects=False)
    assert signed_out.status_code == 302 and "says hello" not in signed_out.text

    browser = requests.Session()
    first = browser.get(stack.app1 + "/", headers=PAGE, allow_redirects=False)
    assert sign_in(browser, first.headers["Location"], stack.portal).status_code == 303
    tool = browser.get(stack.app1 + "/who", headers={**PAGE, **forged})
    assert seen(tool.text)["remote_user"] == ["admin"]


def test_bearer_token_opens_the_tool_and_a_forged_one_does_not(stack):
    token = requests.post(stack.portal + "/api/v1/auth/token", json={"password": PASSWORD, "label": "script"}).json()["token"]
    ok = requests.get(stack.app2 + "/api/x", headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    assert ok.status_code == 200 and seen(ok.text) == {"tool": "app2", "path": "/api/x", "remote_user": ["admin"],
                                                       "authorization": [f"Bearer {token}"]}
    # A value Gatehouse did not sign is not Gatehouse's credential (SPEC §4b): no session, and
    # no `invalid_token` that would tell a tool's client its own key was refused.
    bad = requests.get(stack.app2 + "/api/x", headers={"Authorization": "Bearer " + token[:-2] + "xx", "Accept": "application/json"},
                       allow_redirects=False)
    assert bad.status_code == 401 and bad.headers["WWW-Authenticate"] == 'Bearer realm="gatehouse"'
    assert "says hello" not in bad.text


def test_rd_to_another_site_goes_home(stack):
    browser = requests.Session()
    page = browser.get(stack.portal + "/login?rd=http://app1.gatehouse.test.evil.test/", headers=PAGE)
    assert html.unescape(RD_RE.search(page.text).group(1)) in ("", "/")
    form = {"csrf_token": CSRF_RE.search(page.text).group(1), "password": PASSWORD, "rd": "http://evilgatehouse.test/"}
    signed_in = browser.post(stack.portal + "/login", data=form, allow_redirects=False)
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/"


def test_a_signed_out_form_post_is_sent_to_the_login(stack):
    """forward-auth (Caddy, Traefik) answers 303 after a POST, so the browser follows with a GET;
    nginx's example redirects with its own `return 302` (browsers turn a POST into GET for 302 too)."""
    answer = requests.post(stack.app1 + "/save", data={"x": "1"}, headers=PAGE, allow_redirects=False)
    assert answer.status_code == (303 if stack.proxy == "caddy" else 302)
    assert rd_of(answer.headers["Location"]) == stack.app1 + "/save"


def test_caddy_same_host_path_prefix(tmp_path, monkeypatch):
    """The other topology: Gatehouse at the root of one host, the tool under /grafana/."""
    binary = caddy_binary()
    if binary is None:
        require_external("caddy is not installed (apt-get install caddy)")
    tool = Tool("console")
    server = Server(tmp_path / "instance", GATEHOUSE_TRUSTED_PROXIES="127.0.0.1")
    server.prepare(PASSWORD)
    server.start()
    port = free_port()
    caddy = Caddy(tmp_path / "caddy", same_host_config(port, server.port, tool.port), port)
    try:
        caddy.start(binary, f"gatehouse.test:{port}")
        resolve_test_domain(monkeypatch)
        site = f"http://gatehouse.test:{port}"
        browser = requests.Session()
        first = browser.get(site + "/grafana/d/1?x=2", headers={**PAGE, "Remote-User": "mallory"}, allow_redirects=False)
        assert first.status_code == 302 and first.headers["Location"].startswith(site + "/login?rd=")
        assert rd_of(first.headers["Location"]) == site + "/grafana/d/1?x=2"
        signed_in = sign_in(browser, first.headers["Location"], site)
        assert signed_in.status_code == 303 and signed_in.headers["Location"] == site + "/grafana/d/1?x=2"
        assert not next(c for c in browser.cookies if c.name == "gatehouse_session").domain_specified
        tool_page = browser.get(signed_in.headers["Location"], headers={**PAGE, "Remote-User": "mallory"})
        assert seen(tool_page.text) == {"tool": "console", "path": "/d/1?x=2", "remote_user": ["admin"]}
        assert requests.get(site + "/grafana/", headers=XHR, allow_redirects=False).status_code == 401
    finally:
        caddy.stop()
        server.stop()
        tool.stop()


@pytest.mark.parametrize("env, named", [
    ({"GATEHOUSE_COOKIE_DOMAIN": "example.org"}, "GATEHOUSE_COOKIE_DOMAIN"),
    ({"GATEHOUSE_COOKIE_DOMAIN": "example.org", "GATEHOUSE_PUBLIC_URL": "http://auth.example.net"}, "GATEHOUSE_COOKIE_DOMAIN"),
    ({"GATEHOUSE_PUBLIC_URL": "https://auth.example.org/portal"}, "GATEHOUSE_PUBLIC_URL"),
    ({"GATEHOUSE_REMOTE_USER": "a b"}, "GATEHOUSE_REMOTE_USER"),
])
def test_wrong_combination_stops_start_up_with_one_line(tmp_path, env, named):
    from tests.e2e.server import gatehouse, gatehouse_env

    result = gatehouse(gatehouse_env(tmp_path / "instance", **env), "db", "upgrade")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0] and "Traceback" not in result.stderr, result.stderr


def test_nginx_sends_plain_http_on_to_https(tmp_path):
    """deploy/nginx/subdomains.conf's :80 server: every name of the domain goes on to HTTPS."""
    binary = nginx_binary()
    if binary is None:
        require_external("nginx is not installed (apt-get install nginx-light)")
    port, http_port = free_port(), free_port()
    site = nginx_subdomains_config(port, free_port(), (free_port(), free_port()), http_port)
    nginx = Nginx(tmp_path / "nginx", 0, 0, site, port).start(binary)
    try:
        for host in ("app1.gatehouse.test", "auth.gatehouse.test"):
            answer = requests.get(f"http://127.0.0.1:{http_port}/d/abc?orgId=1", headers={"Host": host},
                                  allow_redirects=False, timeout=5)
            assert answer.status_code == 301 and answer.headers["Location"] == f"https://{host}/d/abc?orgId=1"
    finally:
        nginx.stop()
