"""The two-factor, passkey and activity pages for `make screenshots` (tools/screenshots.py).

On its own server, opened at `localhost` (a passkey needs a host name: an IP address never
works), signed in with the password: /two-factor with a wrong password, the QR code and the
key, a wrong code, the recovery codes, codes on, a passkey (Chromium's virtual authenticator)
and its removal asking first, turning off with a wrong code; then the code step at sign-in,
wrong and right; then /activity with more events than one page holds, filtered and paged.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp

from tests.e2e.server import Server
from tools.screenshot_camera import Camera, fill

BROWSERS = (
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1",
    "curl/8.5.0",
)


def walk_factors(driver, server: Server, camera: Camera, password: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.virtual_authenticator import VirtualAuthenticatorOptions
    from selenium.webdriver.support.wait import WebDriverWait

    options = VirtualAuthenticatorOptions()
    options.has_resident_key = options.has_user_verification = options.is_user_verified = True
    driver.add_virtual_authenticator(options)
    base = server.url.replace("127.0.0.1", "localhost")

    driver.get(base + "/login?next=/two-factor")
    camera.shoot("login-localhost")
    fill(driver, {"password": password})
    camera.shoot("two-factor-off")
    fill(driver, {"begin-password": "not the current password"})
    camera.shoot("two-factor-wrong-password")
    time.sleep(1.2)  # the backoff after a wrong password
    fill(driver, {"begin-password": password})
    camera.shoot("two-factor-scan")
    totp = pyotp.TOTP(driver.find_element(By.ID, "totp-secret").text)
    fill(driver, {"code": wrong_code(totp)})
    camera.shoot("two-factor-scan-wrong-code")
    time.sleep(1.2)
    fill(driver, {"code": totp.now()})
    camera.shoot("recovery-codes")

    driver.get(base + "/two-factor")
    camera.shoot("two-factor-on")
    driver.find_element(By.ID, "passkey-password").send_keys(password)
    driver.find_element(By.ID, "passkey-name").send_keys("Laptop")
    driver.find_element(By.ID, "passkey-add").click()
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "ul.passkeys"))
    camera.shoot("two-factor-passkey")
    driver.find_element(By.CSS_SELECTOR, "details.remove summary").click()
    camera.shoot("two-factor-passkey-remove")
    driver.find_element(By.CSS_SELECTOR, "details#disable summary").click()
    fill(driver, {"disable-password": password, "disable-code": wrong_code(totp)}, "#disable button[type=submit]")
    camera.shoot("two-factor-disable-wrong-code")
    time.sleep(1.2)

    driver.get(base + "/logout")
    fill(driver, {})
    driver.get(base + "/login")
    fill(driver, {"password": password})
    camera.shoot("login-code")
    fill(driver, {"code": wrong_code(totp)})
    camera.shoot("login-code-wrong")
    time.sleep(1.2)
    fill(driver, {"code": totp.at(time.time() + 30)})  # the enrolment spent this step's code

    seed_activity(server)
    driver.get(base + "/activity")
    camera.shoot("activity-paged")
    driver.get(base + "/activity?kind=failed")
    camera.shoot("activity-failed")
    driver.get(base + "/activity?page=2")
    camera.shoot("activity-page-2")


def wrong_code(totp: pyotp.TOTP) -> str:
    """Six digits no time step near now accepts."""
    near = {totp.at(time.time() + 30 * step) for step in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in near)


def seed_activity(server: Server) -> None:
    """Forty events of the last two days from a few addresses and browsers, as a month of use leaves."""
    from app.extensions import db
    from app.factory import create_app
    from app.models import SignInEvent, utcnow

    app = create_app({"GATEHOUSE_INSTANCE_DIR": server.env["GATEHOUSE_INSTANCE_DIR"], "GATEHOUSE_COOKIE_SECURE": False})
    kinds = ("signed_in", "failed_password", "signed_out", "failed_code", "signed_in", "session_revoked")
    with app.app_context():
        start = utcnow() - timedelta(days=2)
        db.session.add_all(SignInEvent(
            at=start + timedelta(minutes=67 * i), kind=kinds[i % len(kinds)], ip=f"198.51.100.{10 + i % 4}",
            user_agent=BROWSERS[i % len(BROWSERS)], detail="with a code" if kinds[i % len(kinds)] == "signed_in" else None,
            count=1) for i in range(40))
        db.session.commit()
