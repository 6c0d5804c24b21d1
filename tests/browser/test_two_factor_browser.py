"""A person turns on authenticator codes in Chromium, then signs in with a code from the scraped key."""

from __future__ import annotations

import time

import pyotp
from selenium.webdriver.common.by import By

from tests.support.browser_pages import csp_errors, path_of, shoot, submit, wait_for
from tests.support.app import PASSWORD


def code_after(secret: str, spent: int = 0) -> str:
    """A code the server has not accepted yet: `spent` steps ahead (each accepted step is
    remembered, and one step of skew is allowed)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * spent)


def sign_in_with_password(browser, server) -> None:
    browser.get(server.url + "/login?next=/two-factor")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    submit(browser)


def sign_out(browser, server) -> None:
    browser.get(server.url + "/logout")
    submit(browser)


def test_enrol_then_sign_in_with_a_code_and_a_recovery_code(browser, server, tmp_path):
    sign_in_with_password(browser, server)
    assert wait_for(browser, server, "/two-factor") == "/two-factor"
    shoot(browser, tmp_path, "2fa-1-off")
    browser.find_element(By.ID, "begin-password").send_keys(PASSWORD)
    submit(browser)
    secret = browser.find_element(By.ID, "totp-secret").text.strip()
    qr = browser.find_element(By.CSS_SELECTOR, "img.qr")
    assert len(secret) == 32 and browser.execute_script("return arguments[0].naturalWidth", qr) > 100
    shoot(browser, tmp_path, "2fa-2-scan")
    browser.find_element(By.ID, "code").send_keys(code_after(secret))
    submit(browser)
    codes = [element.text for element in browser.find_elements(By.CLASS_NAME, "recovery-code")]
    assert len(codes) == 10 and all(len(code) == 19 for code in codes)
    shoot(browser, tmp_path, "2fa-3-recovery")

    # The password alone now leads to the code step; a code from the key signs in.
    sign_out(browser, server)
    sign_in_with_password(browser, server)
    assert path_of(browser, server) == "/login/code" and browser.get_cookie("gatehouse_session") is None
    field = browser.find_element(By.ID, "code")
    assert field.get_attribute("autocomplete") == "one-time-code" and field.get_attribute("inputmode") == "numeric"
    shoot(browser, tmp_path, "2fa-4-code")
    field.send_keys(code_after(secret, 1))
    submit(browser)
    assert wait_for(browser, server, "/two-factor") == "/two-factor"
    assert browser.find_element(By.ID, "recovery-left").text == "10"
    shoot(browser, tmp_path, "2fa-5-on")

    # On a phone: the same step, with a recovery code this time.
    browser.set_window_size(390, 844)
    shoot(browser, tmp_path, "2fa-6-on-phone")
    sign_out(browser, server)
    sign_in_with_password(browser, server)
    shoot(browser, tmp_path, "2fa-7-code-phone")
    browser.find_element(By.CSS_SELECTOR, "details.action summary").click()
    browser.find_element(By.ID, "recovery").send_keys(codes[0])
    browser.find_element(By.CSS_SELECTOR, "details.action button[type=submit]").click()
    # A recovery-code sign-in says so first (SPEC §17), then goes on where it was going.
    assert wait_for(browser, server, "/login/recovery-used") == "/login/recovery-used"
    assert browser.find_element(By.ID, "recovery-left").text == "9 recovery codes left."
    shoot(browser, tmp_path, "2fa-8-recovery-used-phone")
    browser.find_element(By.ID, "continue").click()
    assert wait_for(browser, server, "/two-factor") == "/two-factor"
    assert browser.find_element(By.ID, "recovery-left").text == "9"
    assert csp_errors(browser) == []
