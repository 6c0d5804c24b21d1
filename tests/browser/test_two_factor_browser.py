"""A person turns on authenticator codes in Chromium, then signs in with a code from the scraped key."""

from __future__ import annotations

import time

import pyotp
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from tests.support import chrome
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


def test_a_wrong_password_is_shown_at_its_field_on_the_page_itself(browser, server, tmp_path):
    sign_in_with_password(browser, server)
    wait_for(browser, server, "/two-factor")
    browser.find_element(By.ID, "begin-password").send_keys("not the password at all")
    submit(browser)
    assert wait_for(browser, server, "/two-factor") == "/two-factor"  # never the POST URL
    error = browser.find_element(By.ID, "begin-password-error")
    assert error.is_displayed() and error.text == "The current password is incorrect."
    assert browser.switch_to.active_element.get_attribute("id") == "begin-password"
    assert browser.find_element(By.ID, "begin-password").get_attribute("aria-describedby") == "begin-password-error"
    assert browser.find_elements(By.CSS_SELECTOR, "main > p.error") == []  # nothing at the top
    shoot(browser, tmp_path, "2fa-wrong-password")
    browser.refresh()  # a reload asks nothing (no form is posted again) and the error was shown once
    assert browser.find_elements(By.ID, "begin-password-error") == []
    assert csp_errors(browser) == []


def test_on_a_phone_the_key_breaks_between_groups_and_the_code_box_matches_its_button(browser, server, tmp_path):
    sign_in_with_password(browser, server)
    wait_for(browser, server, "/two-factor")
    browser.find_element(By.ID, "begin-password").send_keys(PASSWORD)
    submit(browser)
    chrome.emulate(browser, 390, 844, "light")
    groups = browser.find_elements(By.CSS_SELECTOR, "#totp-secret > span")
    assert [len(group.text) for group in groups] == [4] * 8
    line = groups[0].rect["height"]
    assert all(abs(group.rect["height"] - line) < 1 for group in groups)  # no group split over two lines
    assert len({round(group.rect["y"]) for group in groups}) == 2  # the key does wrap on a phone, between groups
    key = browser.find_element(By.ID, "totp-secret").text
    assert len(key) == 32 and key == "".join(group.text for group in groups)  # copied, it is the key itself
    box, button = browser.find_element(By.ID, "code"), browser.find_element(By.CSS_SELECTOR, "form.code-row button")
    assert abs(box.rect["height"] - button.rect["height"]) < 1 and abs(box.rect["y"] - button.rect["y"]) < 1
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    shoot(browser, tmp_path, "2fa-key-phone")

    # A wrong code: the error above the row leaves box and button as they were (on a desktop too).
    chrome.emulate(browser, 1280, 900, "light")
    near = {code_after(key, step) for step in (-1, 0, 1)}
    browser.find_element(By.ID, "code").send_keys(next(c for c in ("000000", "111111", "222222") if c not in near))
    submit(browser)
    assert browser.find_element(By.ID, "code-error").text.startswith("That code is not right.")
    box, button = browser.find_element(By.ID, "code"), browser.find_element(By.CSS_SELECTOR, "form.code-row button")
    assert abs(box.rect["height"] - button.rect["height"]) < 1 and button.rect["width"] < 160
    shoot(browser, tmp_path, "2fa-wrong-code")


def test_recovery_codes_download_as_a_file_and_copy(browser, server, tmp_path):
    sign_in_with_password(browser, server)
    wait_for(browser, server, "/two-factor")
    browser.find_element(By.ID, "begin-password").send_keys(PASSWORD)
    submit(browser)
    secret = browser.find_element(By.ID, "totp-secret").text
    browser.find_element(By.ID, "code").send_keys(code_after(secret))
    submit(browser)
    codes = [element.text for element in browser.find_elements(By.CLASS_NAME, "recovery-code")]
    assert len(codes) == 10

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    browser.find_element(By.ID, "recovery-download").click()
    saved = downloads / "gatehouse-recovery-codes.txt"
    WebDriverWait(browser, 15).until(lambda _d: saved.exists() and saved.read_text().count("\n") >= 14)
    text = saved.read_text()
    assert text.startswith("Gatehouse recovery codes for Gatehouse (admin)\n")
    assert [line for line in text.splitlines() if line in codes] == codes

    browser.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": server.url, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    browser.find_element(By.ID, "recovery-copy").click()
    WebDriverWait(browser, 5).until(lambda d: d.find_element(By.ID, "recovery-copy-status").text == "Copied.")
    copied = browser.execute_async_script("navigator.clipboard.readText().then(arguments[arguments.length - 1])")
    assert copied == "\n".join(codes) + "\n"
    assert csp_errors(browser) == []
