"""Access rules in real Chromium through the shipped proxies (docs/access.md): a rule's max_age
sends a stale session to sign in again, which refreshes that same session and lands on the
page; a two_factor rule shows Gatehouse's 403 page on the tool's host, styled from the portal
under its own CSP.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.webdriver.common.by import By

from tests.support import chrome
from tests.support.browser_pages import csp_errors, shoot, start_chromium, submit, wait_url
from tests.support.app import PASSWORD
from tests.support.proxied import proxied_portal
from tests.e2e.tools import Tool, seen

MAX_AGE_SECONDS = 3
RULES = f"""\
[[rule]]
name = "fresh app1"
hosts = ["app1.gatehouse.test"]
policy = "signed_in"
max_age = "{MAX_AGE_SECONDS}s"

[[rule]]
name = "app2 two factors"
hosts = ["app2.gatehouse.test"]
policy = "two_factor"
"""


@pytest.fixture(params=["caddy", "nginx"])
def proxied(request, tmp_path):
    tools = [Tool("app1"), Tool("app2")]
    with proxied_portal(request.param, tmp_path, (tools[0].port, tools[1].port), rules=RULES) as port:
        yield port
        for tool in tools:
            tool.stop()


def shoot_both_sizes(driver, tmp_path, name: str) -> None:
    """The page at 1280x900 and 390x844, light and dark; neither size scrolls sideways. Back at
    1280 light afterwards."""
    for width, height, scheme in ((1280, 900, "dark"), (390, 844, "light"), (390, 844, "dark"), (1280, 900, "light")):
        chrome.emulate(driver, width, height, scheme)
        shoot(driver, tmp_path, f"{name}-{width}-{scheme}")
        assert driver.execute_script("return document.documentElement.scrollWidth") <= width


def test_max_age_asks_again_and_keeps_the_session(proxied, tmp_path):
    port = proxied
    portal, app1, app2 = (f"http://{name}.gatehouse.test:{port}" for name in ("auth", "app1", "app2"))
    driver = start_chromium(tmp_path, "--host-resolver-rules=MAP *.gatehouse.test 127.0.0.1")
    try:
        page = app1 + "/vms?node=1"
        driver.get(page)
        wait_url(driver, lambda u: u.startswith(portal + "/login"))
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        submit(driver)
        assert wait_url(driver, lambda u: u.startswith(app1)) == page
        cookie = driver.get_cookie("gatehouse_session")["value"]

        time.sleep(MAX_AGE_SECONDS + 1)
        driver.get(page)
        url = wait_url(driver, lambda u: u.startswith(portal + "/login"))
        assert parse_qs(urlsplit(url).query) == {"rd": [page], "reauth": ["1"]}
        assert driver.find_element(By.TAG_NAME, "h1").text == "Sign in again"
        assert driver.find_element(By.ID, "again").is_displayed()
        assert driver.find_element(By.CSS_SELECTOR, "p.destination strong").text == f"app1.gatehouse.test:{port}"
        shoot_both_sizes(driver, tmp_path, "access-1-sign-in-again")
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        submit(driver)
        assert wait_url(driver, lambda u: u.startswith(app1)) == page
        assert seen(driver.page_source.replace("&quot;", '"'))["remote_user"] == ["admin"]
        assert driver.get_cookie("gatehouse_session")["value"] == cookie  # the same session, no new cookie

        driver.get(portal + "/sessions")
        wait_url(driver, lambda u: u.startswith(portal + "/sessions"))
        rows = driver.find_elements(By.CSS_SELECTOR, "table.sessions tbody tr")
        assert len(rows) == 1 and "this session" in rows[0].text  # signing in again made no other session

        driver.get(app2 + "/")  # signed in with the password alone: the two_factor rule refuses
        wait_url(driver, lambda u: u.startswith(app2))
        assert driver.find_element(By.TAG_NAME, "h1").text == "Two-factor sign-in needed"
        link = driver.find_element(By.CSS_SELECTOR, "#turn-on a").get_attribute("href")
        assert link == portal + "/two-factor"
        assert driver.execute_script(  # the portal's stylesheet applied, under the page's own CSP
            "return getComputedStyle(document.querySelector('main')).maxWidth") != "none"
        shoot_both_sizes(driver, tmp_path, "access-2-two-factor-needed")
        assert csp_errors(driver) == []
    finally:
        driver.quit()
