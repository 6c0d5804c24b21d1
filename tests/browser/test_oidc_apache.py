"""A page behind Apache + mod_auth_openidc, reached by signing in at Gatehouse in Chromium
(SPEC §16): password alone and with codes on; signing out of Gatehouse ends the app's access at
its next request; the app's own sign-out (RP-initiated logout) signs out of Gatehouse too.

Gatehouse is real gunicorn on http://127.0.0.1:PORT (the issuer, GATEHOUSE_COOKIE_SECURE=0),
Apache is http://localhost:PORT2 (another host for the browser, so each keeps its cookies).
"""

from __future__ import annotations

import json
import time
from urllib.parse import quote

import pyotp
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from tests.support.browser_pages import csp_errors, shoot, start_chromium, submit
from tests.support.app import PASSWORD
from tests.e2e.apache import Apache, apache_binary
from tests.e2e.server import Server, gatehouse
from tests.support.external import require_external


@pytest.fixture
def portal(tmp_path):
    server = Server(tmp_path / "instance", GATEHOUSE_OIDC="1")
    server.env["GATEHOUSE_PUBLIC_URL"] = server.url
    server.prepare(PASSWORD)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def apache(portal):
    binary = apache_binary()
    if binary is None:
        require_external("apache2 and libapache2-mod-auth-openidc are not installed "
                         "(apt-get install apache2 libapache2-mod-auth-openidc)")
    site = Apache()
    try:  # its folder and process go even when it fails to start
        result = gatehouse(portal.env, "oidc", "add", "apache", "--redirect-uri", site.redirect_uri,
                           "--post-logout-redirect-uri", site.url + "/loggedout.html", "--groups", "admins,ops",
                           "--json")
        assert result.returncode == 0, result.stderr
        registered = json.loads(result.stdout)
        site.start(binary, portal.url, registered["client_id"], registered["client_secret"])
        yield site
    finally:
        site.stop()


@pytest.fixture
def browser(tmp_path):
    driver = start_chromium(tmp_path)
    yield driver
    driver.quit()


def wait_url(driver, predicate, timeout: float = 20) -> str:
    WebDriverWait(driver, timeout).until(
        lambda d: predicate(d.current_url) and d.execute_script("return document.readyState") == "complete")
    return driver.current_url


def protected_page(driver, apache) -> dict[str, str]:
    return {"user": driver.find_element(By.ID, "user").text, "groups": driver.find_element(By.ID, "groups").text}


def sign_in_at_gatehouse(driver, portal, code_secret: str | None = None) -> None:
    wait_url(driver, lambda u: u.startswith(portal.url + "/login"))
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    submit(driver)
    if code_secret is not None:
        wait_url(driver, lambda u: u.startswith(portal.url + "/login/code"))
        driver.find_element(By.ID, "code").send_keys(pyotp.TOTP(code_secret).at(time.time() + 30))
        submit(driver)


def turn_codes_on(driver, portal) -> str:
    """Through the pages, as a person does (tests/browser/test_two_factor_browser.py); the key."""
    driver.get(portal.url + "/login?next=/two-factor")
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    submit(driver)
    driver.find_element(By.ID, "begin-password").send_keys(PASSWORD)
    submit(driver)
    secret = driver.find_element(By.ID, "totp-secret").text.strip()
    driver.find_element(By.ID, "code").send_keys(pyotp.TOTP(secret).now())
    submit(driver)
    assert len(driver.find_elements(By.CLASS_NAME, "recovery-code")) == 10
    driver.get(portal.url + "/logout")
    submit(driver)
    return secret


def sign_out_of_gatehouse(driver, portal) -> None:
    driver.get(portal.url + "/logout")
    submit(driver)
    wait_url(driver, lambda u: u.startswith(portal.url + "/login"))


@pytest.mark.parametrize("codes", [False, True], ids=["password", "with-codes"])
def test_the_page_behind_apache_is_reached_by_signing_in_at_gatehouse(portal, apache, browser, tmp_path, codes):
    secret = turn_codes_on(browser, portal) if codes else None
    browser.get(apache.url + "/protected/")
    sign_in_at_gatehouse(browser, portal, secret)
    wait_url(browser, lambda u: u == apache.url + "/protected/")
    assert browser.find_element(By.ID, "tool").text == "Protected page"
    assert protected_page(browser, apache) == {"user": "admin", "groups": "admins,ops"}
    shoot(browser, tmp_path, "oidc-apache-1-page")

    browser.get(apache.url + "/protected/")  # the next check asks Gatehouse again (a refresh): still in
    wait_url(browser, lambda u: u == apache.url + "/protected/")
    assert protected_page(browser, apache)["user"] == "admin"
    browser.get(portal.url + "/activity")
    assert "(apache)" in browser.find_element(By.TAG_NAME, "main").text

    # Signing out of Gatehouse ends the app's access at its next check.
    sign_out_of_gatehouse(browser, portal)
    browser.get(apache.url + "/protected/")
    wait_url(browser, lambda u: not u.startswith(apache.url + "/protected/") or "Protected page" not in browser.page_source)
    assert "Protected page" not in browser.page_source
    shoot(browser, tmp_path, "oidc-apache-2-after-sign-out")
    browser.get(apache.url + "/protected/")
    wait_url(browser, lambda u: u.startswith(portal.url + "/login"))
    assert csp_errors(browser) == []


def test_the_apps_sign_out_signs_out_of_gatehouse_and_returns_to_the_app(portal, apache, browser, tmp_path):
    browser.get(apache.url + "/protected/")
    sign_in_at_gatehouse(browser, portal)
    wait_url(browser, lambda u: u == apache.url + "/protected/")
    back = apache.url + "/loggedout.html"
    browser.get(f"{apache.redirect_uri}?logout={quote(back, safe='')}")
    wait_url(browser, lambda u: u.startswith(back))
    assert browser.find_element(By.ID, "out").text == "Signed out of the app"
    browser.get(portal.url + "/")
    wait_url(browser, lambda u: u.startswith(portal.url + "/login"))  # the Gatehouse session ended too
    shoot(browser, tmp_path, "oidc-apache-3-rp-logout")
