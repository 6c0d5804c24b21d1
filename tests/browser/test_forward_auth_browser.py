"""A tool on its own subdomain, in real Chromium: first visit → login with rd → the tool's page.

Caddy (deploy/caddy/subdomains.Caddyfile, forward-auth) and nginx (deploy/nginx/subdomains.conf,
verify) in front of real gunicorn and two small tools; Chromium maps `*.gatehouse.test` to
127.0.0.1 with --host-resolver-rules. Plain HTTP on loopback (GATEHOUSE_COOKIE_SECURE=0).
The login form's redirect to another host is what CSP `form-action` must allow: a wrong
policy shows up as a blocked navigation and a CSP error in the console.
"""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By

from tests.support.browser_pages import csp_errors, shoot, start_chromium, submit, wait_url
from tests.support.app import PASSWORD
from tests.support.two_factor import code_for, enable_codes_on_instance
from tests.support.proxied import proxied_portal, rd_of
from tests.e2e.tools import Tool, seen


@pytest.fixture(params=["caddy", "nginx"])
def proxied(request, tmp_path):
    tools = [Tool("app1"), Tool("app2")]
    with proxied_portal(request.param, tmp_path, (tools[0].port, tools[1].port)) as port:
        yield port
        for tool in tools:
            tool.stop()


def test_first_visit_to_the_tools_page_through_the_login(proxied, tmp_path):
    port = proxied
    portal, app1, app2 = (f"http://{name}.gatehouse.test:{port}" for name in ("auth", "app1", "app2"))
    driver = start_chromium(tmp_path, "--host-resolver-rules=MAP *.gatehouse.test 127.0.0.1")
    try:
        page = app1 + "/d/abc?orgId=1&from=now-1h"
        driver.get(page)
        url = wait_url(driver, lambda u: u.startswith(portal + "/login"))
        assert rd_of(url) == page
        assert driver.find_element(By.TAG_NAME, "h1").text == "Sign in"
        shoot(driver, tmp_path, "fa-1-login")

        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        submit(driver)
        assert wait_url(driver, lambda u: u.startswith(app1)) == page
        assert driver.find_element(By.ID, "tool").text == "app1 says hello"
        assert seen(driver.page_source.replace("&quot;", '"')) == {"tool": "app1", "path": "/d/abc?orgId=1&from=now-1h", "remote_user": ["admin"]}
        shoot(driver, tmp_path, "fa-2-tool")

        driver.get(app2 + "/files")  # the same sign-in covers the other tool
        wait_url(driver, lambda u: u.startswith(app2))
        assert driver.find_element(By.ID, "tool").text == "app2 says hello"

        driver.get(portal + "/logout")
        wait_url(driver, lambda u: u.startswith(portal + "/logout"))
        submit(driver)
        wait_url(driver, lambda u: u.startswith(portal + "/login"))
        driver.get(page)
        url = wait_url(driver, lambda u: u.startswith(portal + "/login"))
        assert rd_of(url) == page and "says hello" not in driver.page_source
        assert csp_errors(driver) == []
    finally:
        driver.quit()


def test_with_codes_on_the_code_step_returns_to_the_tool_through_caddy(tmp_path):
    """SPEC §17: after /login/code the browser lands on the tool on its own subdomain. The code
    page's CSP `form-action` must allow the tool's host as /login's does, or Chromium blocks the
    redirect and the person stays on the code page (issue 25)."""
    tools = [Tool("app1"), Tool("app2")]
    try:
        with proxied_portal("caddy", tmp_path, (tools[0].port, tools[1].port)) as port:
            secret = enable_codes_on_instance(tmp_path / "instance", time.time())
            portal, app1 = f"http://auth.gatehouse.test:{port}", f"http://app1.gatehouse.test:{port}"
            driver = start_chromium(tmp_path, "--host-resolver-rules=MAP *.gatehouse.test 127.0.0.1")
            try:
                page = app1 + "/d/abc?orgId=1"
                driver.get(page)
                wait_url(driver, lambda u: u.startswith(portal + "/login"))
                assert "to continue to app1.gatehouse.test" in driver.find_element(By.CLASS_NAME, "destination").text
                driver.find_element(By.ID, "password").send_keys(PASSWORD)
                driver.find_element(By.ID, "remember").click()  # keep me signed in: rides through the code step
                submit(driver)
                assert wait_url(driver, lambda u: u.startswith(portal + "/login/code")) == portal + "/login/code"
                # The next time step's code (one step of skew is accepted): enrolling spent this one.
                driver.find_element(By.ID, "code").send_keys(code_for(secret, time.time() + 30))
                submit(driver)
                assert wait_url(driver, lambda u: not u.startswith(portal)) == page
                assert driver.find_element(By.ID, "tool").text == "app1 says hello"
                shoot(driver, tmp_path, "fa-code-tool")
                [cookie] = [c for c in driver.get_cookies() if c["name"] == "gatehouse_session"]
                assert cookie["domain"].endswith("gatehouse.test")
                assert 29 * 86400 < cookie["expiry"] - time.time() <= 30 * 86400  # kept for 30 days
                assert csp_errors(driver) == []
            finally:
                driver.quit()
    finally:
        for tool in tools:
            tool.stop()
