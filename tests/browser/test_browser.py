"""A person with a real browser: sign in, look around, sign out, and press Back."""

from __future__ import annotations

import time

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from tests.support.app import PASSWORD
from tests.support.browser_pages import click_to_next_page, csp_errors, path_of, shoot, submit, wait_for

PROTECTED_MARKERS = ("Signed in", "this session", "Sign out all other sessions")


def test_sign_in_sessions_sign_out_and_back(browser, server, tmp_path):
    browser.get(server.url + "/")
    assert path_of(browser, server) == "/login?next=/"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Sign in"
    shoot(browser, tmp_path, "1-login")

    field = browser.find_element(By.ID, "password")
    field.send_keys("a wrong password, typed with care")
    submit(browser)
    assert browser.find_element(By.ID, "password-error").text == "Incorrect password."
    shoot(browser, tmp_path, "2-login-wrong")
    time.sleep(0.6)  # the first failure blocks this address for 0.5 s (GATEHOUSE_LOGIN_BACKOFF)

    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    submit(browser)
    assert wait_for(browser, server, "/") == "/"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Signed in"
    shoot(browser, tmp_path, "3-home")

    token = requests.post(server.url + "/api/v1/auth/token", json={"password": PASSWORD, "label": "backup script"}).json()["token"]
    browser.find_element(By.LINK_TEXT, "Sessions").click()
    wait_for(browser, server, "/sessions")
    current = browser.find_element(By.CSS_SELECTOR, "tr.current")
    assert "this session" in current.text and "Chrome" in current.text and "127.0.0.1" in current.text
    assert "127.0.0.1" in browser.find_element(By.CSS_SELECTOR, "main p.muted").text
    rows = browser.find_elements(By.CSS_SELECTOR, "table.sessions tbody tr")
    assert len(rows) == 2 and "backup script" in rows[0].text and "python-requests" in rows[0].text
    shoot(browser, tmp_path, "4-sessions")

    # Revoke the script's token from the page: it stops working on its very next request.
    assert requests.get(server.url + "/api/v1/auth/verify", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    click_to_next_page(browser, rows[0].find_element(By.TAG_NAME, "button"))
    assert browser.find_element(By.CSS_SELECTOR, "p.notice").text == "The session has been signed out."
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.sessions tbody tr")) == 1
    assert requests.get(server.url + "/api/v1/auth/verify", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    shoot(browser, tmp_path, "4b-sessions-revoked")

    browser.find_element(By.LINK_TEXT, "Password").click()
    wait_for(browser, server, "/password")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Change the master password"
    shoot(browser, tmp_path, "5-password")

    browser.find_element(By.LINK_TEXT, "Sign out").click()
    wait_for(browser, server, "/logout")
    shoot(browser, tmp_path, "6-logout")
    submit(browser)
    wait_for(browser, server, "/login")
    shoot(browser, tmp_path, "7-signed-out")

    # Back, and back again: every earlier page must come from the server again (no-store), which
    # now sends the browser to the login form instead of showing protected content.
    for _ in range(4):
        browser.back()
        WebDriverWait(browser, 15).until(lambda d: d.execute_script("return document.readyState") == "complete")
        source = browser.page_source
        assert not any(marker in source for marker in PROTECTED_MARKERS), browser.current_url
        assert path_of(browser, server).startswith(("/login", "/logout")), browser.current_url
    shoot(browser, tmp_path, "8-after-back")
    assert csp_errors(browser) == []
