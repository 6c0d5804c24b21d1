"""A person adds a passkey in Chromium (its virtual authenticator), signs out, signs in with the
passkey alone, removes it, and the same passkey no longer gets in."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.virtual_authenticator import VirtualAuthenticatorOptions
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.browser_pages import csp_errors, shoot, submit
from tests.support.app import PASSWORD


@pytest.fixture
def authenticator(browser):
    """A platform authenticator that keeps discoverable credentials and verifies the user."""
    options = VirtualAuthenticatorOptions()
    options.protocol = VirtualAuthenticatorOptions.Protocol.CTAP2
    options.transport = VirtualAuthenticatorOptions.Transport.INTERNAL
    options.has_resident_key = True
    options.has_user_verification = True
    options.is_user_verified = True
    browser.add_virtual_authenticator(options)
    return browser


def at(driver, base: str, path: str) -> None:
    WebDriverWait(driver, 15).until(
        lambda d: d.current_url.removeprefix(base).split("?")[0] == path
        and d.execute_script("return document.readyState") == "complete")


def sign_out(driver, base: str) -> None:
    driver.get(base + "/logout")
    submit(driver)
    at(driver, base, "/login")


def test_add_sign_in_with_and_remove_a_passkey(authenticator, server, tmp_path):
    driver = authenticator
    base = server.url.replace("127.0.0.1", "localhost")  # a passkey's relying party is a host name, never an IP
    driver.get(base + "/login?next=/two-factor")
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    submit(driver)
    at(driver, base, "/two-factor")
    assert driver.find_element(By.ID, "begin-password").is_displayed()
    driver.find_element(By.CSS_SELECTOR, "details#passkey > summary").click()
    # One action open at a time: one "Current password" on the page.
    assert not driver.find_element(By.ID, "begin-password").is_displayed()
    assert [e.is_displayed() for e in driver.find_elements(By.CSS_SELECTOR, "input[type=password]")].count(True) == 1
    driver.find_element(By.ID, "passkey-password").send_keys(PASSWORD)
    driver.find_element(By.ID, "passkey-name").send_keys("Virtual key")
    driver.find_element(By.ID, "passkey-add").click()
    WebDriverWait(driver, 15).until(lambda d: "Virtual key" in d.find_element(By.CSS_SELECTOR, "ul.passkeys").text)
    assert "never used" in driver.find_element(By.CSS_SELECTOR, "ul.passkeys").text
    shoot(driver, tmp_path, "passkey-1-added")

    sign_out(driver, base)
    driver.find_element(By.ID, "passkey-signin").click()
    at(driver, base, "/")
    driver.get(base + "/two-factor")
    assert "last used" in driver.find_element(By.CSS_SELECTOR, "ul.passkeys").text

    remove = driver.find_element(By.CSS_SELECTOR, "ul.passkeys details.remove button[type=submit]")
    assert not remove.is_displayed()  # removing asks first
    driver.find_element(By.CSS_SELECTOR, "ul.passkeys details.remove summary").click()
    assert "will no longer sign you in" in driver.find_element(By.CSS_SELECTOR, "ul.passkeys details.remove").text
    shoot(driver, tmp_path, "passkey-1b-remove-asks")
    remove.click()
    WebDriverWait(driver, 15).until(lambda d: "No passkeys yet" in d.page_source)
    sign_out(driver, base)
    driver.find_element(By.ID, "passkey-signin").click()
    status = driver.find_element(By.ID, "passkey-signin-status")
    WebDriverWait(driver, 15).until(lambda d: status.is_displayed() and status.text)
    assert "not accepted" in status.text
    assert driver.current_url.removeprefix(base).startswith("/login")
    shoot(driver, tmp_path, "passkey-2-refused")
    assert csp_errors(driver) == []
