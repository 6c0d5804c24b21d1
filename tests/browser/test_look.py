"""The look in a real Chromium: dark mode, a phone's width, the 429 sign-in form, a clean console."""

from __future__ import annotations

import time

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from tests.support import chrome
from tests.support.external import require_external
from tests.support.app import PASSWORD
from tests.support.browser_pages import click_to_next_page
from tests.e2e.server import Server


def submit(driver, password: str) -> None:
    field = driver.find_element(By.ID, "password")
    field.clear()
    field.send_keys(password)
    click_to_next_page(driver, driver.find_element(By.CSS_SELECTOR, "main button[type=submit]"))


def sign_in(driver, server) -> None:
    driver.get(server.url + "/login")
    submit(driver, PASSWORD)
    assert driver.find_element(By.TAG_NAME, "h1").text == "Signed in"


def console_errors(driver) -> list[str]:
    """Errors in the console, except the one Chromium logs for a page sent with an error status on purpose."""
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" and "the server responded with a status of 4" not in e["message"]]


def background(driver, selector: str) -> tuple[int, ...]:
    value = driver.execute_script(f"return getComputedStyle(document.querySelector('{selector}')).backgroundColor")
    return tuple(int(part) for part in value.removeprefix("rgb(").removesuffix(")").split(","))


def test_dark_mode_follows_the_system(browser, server):
    browser.get(server.url + "/login")
    chrome.emulate(browser, 1280, 900, "light")
    light_page, light_card = background(browser, "body"), background(browser, "main")
    chrome.emulate(browser, 1280, 900, "dark")
    dark_page, dark_card = background(browser, "body"), background(browser, "main")
    assert min(light_page) > 200 and min(light_card) > 200  # near white
    assert max(dark_page) < 40 and max(dark_card) < 60  # near black
    text = browser.execute_script("return getComputedStyle(document.body).color")
    assert min(int(p) for p in text[4:-1].split(",")) > 200  # light text on the dark page


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_sessions_fit_a_phone_without_sideways_scrolling(browser, server, scheme):
    sign_in(browser, server)
    for label in ("backup script", "home assistant"):
        assert requests.post(server.url + "/api/v1/auth/token", json={"password": PASSWORD, "label": label}).ok
    chrome.emulate(browser, 390, 844, scheme)
    browser.get(server.url + "/sessions")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.sessions tbody tr")
    assert len(rows) == 3
    width = browser.execute_script("return document.documentElement.clientWidth")
    assert width == 390
    assert browser.execute_script("return document.documentElement.scrollWidth") <= width
    for button in browser.find_elements(By.CSS_SELECTOR, "table.sessions button"):
        box = browser.execute_script("return arguments[0].getBoundingClientRect().toJSON()", button)
        left, right = box["left"], box["right"]
        assert 0 <= left and right <= width and button.is_displayed()
    # The nav is an even grid: every link the same width, none cut off.
    links = browser.find_elements(By.CSS_SELECTOR, "nav a")
    widths = {round(link.rect["width"]) for link in links}
    assert max(widths) - min(widths) <= 1 and all(link.rect["x"] + link.rect["width"] <= width for link in links)
    current = browser.find_element(By.CSS_SELECTOR, "nav a[aria-current=page]")
    assert current.text == "Sessions"
    assert console_errors(browser) == []


def test_quick_retry_and_ban_answer_with_the_login_form(tmp_path):
    if None in chrome.binaries():
        require_external("chromium and chromium-driver are not installed")
    server = Server(tmp_path / "instance", GATEHOUSE_LOGIN_BACKOFF="3", GATEHOUSE_LOGIN_BAN="2/900")
    server.prepare(PASSWORD)
    server.start()
    driver = chrome.start(tmp_path)
    try:
        driver.get(server.url + "/login?next=/sessions")
        submit(driver, "a wrong password")
        assert driver.find_element(By.ID, "password-error").text == "Incorrect password."
        assert driver.switch_to.active_element.get_attribute("id") == "password"
        assert driver.find_element(By.ID, "password").get_attribute("aria-invalid") == "true"

        submit(driver, "another wrong password")  # within the 3 s backoff: refused unchecked
        assert driver.find_element(By.TAG_NAME, "h1").text == "Sign in"
        message = driver.find_element(By.CSS_SELECTOR, "p.error").text
        assert message.startswith("Too many failed attempts.")
        assert "Try again in a moment." in message or "Try again in 3 seconds." in message
        assert driver.find_element(By.NAME, "next").get_attribute("value") == "/sessions"
        assert driver.switch_to.active_element.get_attribute("id") == "password"

        time.sleep(3.2)
        submit(driver, "a third wrong password")  # the second failure: blocked for 15 minutes
        submit(driver, PASSWORD)
        assert "Try again in 15 minutes." in driver.find_element(By.CSS_SELECTOR, "p.error").text
        assert driver.find_element(By.NAME, "next").get_attribute("value") == "/sessions"
        assert console_errors(driver) == []
    finally:
        driver.quit()
        server.stop()


def test_no_console_errors_on_any_page(browser, server):
    pages = ["/login", "/", "/sessions", "/password", "/logout", "/no/such/page"]
    browser.get(server.url + "/login")
    assert console_errors(browser) == []
    sign_in(browser, server)
    for path in pages:
        browser.get(server.url + path)
        icon = browser.find_element(By.CSS_SELECTOR, "link[rel=icon]").get_attribute("href")
        assert requests.get(icon).status_code == 200
        assert console_errors(browser) == [], path
    browser.get(server.url + "/logout")
    click_to_next_page(browser, browser.find_element(By.CSS_SELECTOR, "main button[type=submit]"))
    assert browser.find_element(By.CSS_SELECTOR, "p.notice").text == "You have been signed out."
    browser.get(server.url + "/logout")
    assert browser.find_elements(By.CSS_SELECTOR, "main button") == []
    assert console_errors(browser) == []


def turn_codes_on(server) -> str:
    """Codes on for the server's instance, through the service (as the page would): the secret."""
    from app.factory import create_app
    from tests.support.two_factor import enable_codes

    app = create_app({"GATEHOUSE_INSTANCE_DIR": server.env["GATEHOUSE_INSTANCE_DIR"], "GATEHOUSE_COOKIE_SECURE": False})
    return enable_codes(app)[0]


def card_and_button(driver) -> tuple:
    """The card's width and the look of its main button, on a phone and on a desktop."""
    seen = []
    for width in (390, 1280):
        chrome.emulate(driver, width, 900, "light")
        button = driver.find_element(By.CSS_SELECTOR, "main button[type=submit]")
        style = driver.execute_script(
            "const s = getComputedStyle(arguments[0]); "
            "return [s.backgroundColor, s.color, s.borderRadius, s.fontSize, s.height];", button)
        seen.append((round(driver.find_element(By.TAG_NAME, "main").rect["width"]), round(button.rect["width"]), style))
    return tuple(seen)


def test_every_sign_in_page_is_one_card_with_one_button_style(browser, server):
    turn_codes_on(server)
    browser.get(server.url + "/login")
    login = card_and_button(browser)
    submit(browser, PASSWORD)  # -> /login/code
    assert browser.find_element(By.TAG_NAME, "h1").text == "Enter your code"
    code = card_and_button(browser)
    assert login == code
    assert login[1][0] < 500  # the narrow sign-in card on a desktop


def seed_events(server, count: int) -> None:
    from datetime import timedelta

    from app.extensions import db
    from app.factory import create_app
    from app.models import SignInEvent, utcnow

    app = create_app({"GATEHOUSE_INSTANCE_DIR": server.env["GATEHOUSE_INSTANCE_DIR"], "GATEHOUSE_COOKIE_SECURE": False})
    with app.app_context():
        db.session.add_all(SignInEvent(
            at=utcnow() - timedelta(minutes=10 * i), kind=("failed_password", "signed_in")[i % 2],
            ip=f"2001:db8:85a3::8a2e:370:{7334 + i}" if i % 7 == 6 else f"198.51.100.{i}", user_agent=FIREFOX,
            detail="with a code" if i % 2 else None, count=1) for i in range(count))
        db.session.commit()


FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_activity_on_a_phone_is_two_lines_an_event(browser, server, scheme):
    seed_events(server, 14)  # with the password set and the sign-in below: 16, which made a 3,215 px page
    sign_in(browser, server)
    chrome.emulate(browser, 390, 844, scheme)
    browser.get(server.url + "/activity")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.activity tbody tr")
    assert len(rows) == 16
    for row in rows:  # what and when on a line, then where from and which browser on the next
        cell = {name: row.find_element(By.CSS_SELECTOR, f"td.{name}").rect for name in ("event", "time", "where", "browser")}
        assert abs(cell["time"]["y"] - cell["event"]["y"]) < 3 and cell["where"]["y"] > cell["event"]["y"], row.text
        if "2001:db8" not in row.text:  # a long IPv6 address may send the browser a line down
            assert abs(cell["browser"]["y"] - cell["where"]["y"]) < 3, row.text
    assert browser.execute_script("return document.documentElement.scrollHeight") < 3215 / 2  # was 3,215 px
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    browser.find_element(By.LINK_TEXT, "Failed").click()
    WebDriverWait(browser, 15).until(lambda d: d.current_url.endswith("/activity?kind=failed"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.activity tbody tr")) == 7
    assert console_errors(browser) == []


def test_passkeys_say_calmly_why_they_cannot_work_at_an_ip_address(browser, server):
    browser.get(server.url + "/login")  # http://127.0.0.1:PORT, as `make run` used to print
    note = browser.find_element(By.ID, "passkey-signin-status")
    assert note.is_displayed() and note.get_attribute("class") == "hint"
    assert note.text.startswith("Passkeys need a host name, not an IP address: open localhost:")
    link = note.find_element(By.TAG_NAME, "a").get_attribute("href")
    assert link == server.url.replace("127.0.0.1", "localhost") + "/login"
    assert not browser.find_element(By.ID, "passkey-signin").is_displayed()
    browser.get(link)
    assert browser.find_element(By.ID, "passkey-signin").is_displayed()
    assert not browser.find_element(By.ID, "passkey-signin-status").is_displayed()
    assert console_errors(browser) == []
