"""Screenshots of every page, as a person meets them: `make screenshots` (not part of `make test`).

Starts gunicorn as shipped on a throw-away SQLite instance (loopback only), walks through
first-run setup, sign-in, the signed-in pages, sign-out and the error pages in headless
Chromium, and saves each page at 1280x900 and 390x844 (a phone), light and dark, as
`<out>/<page>-<width>-<scheme>.png` (the whole page, at least the viewport high).
A second server with Secure cookies, opened over plain HTTP by a LAN-style name, shows the
hint the portal gives for that mistake. A third serves forward auth for *.example.org (mapped
to loopback inside Chromium) with codes on: the "to continue to" line, the code step, the
recovery-code notice, and the code page once the secret key was replaced. A fourth, at
`localhost`, the second factor set up on /two-factor, passkeys and a full activity page
(tools/screenshot_factors.py). New signed-in pages: add them to SIGNED_IN_PAGES.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from app.ratelimit.extension import FLOOD_REFUSALS  # noqa: E402
from tests.support import chrome  # noqa: E402
from tests.e2e.server import Server, gatehouse  # noqa: E402
from tests.support.two_factor import enable_codes_on_instance  # noqa: E402
from tools.screenshot_camera import Camera, fill  # noqa: E402
from tools.screenshot_factors import walk_factors  # noqa: E402

PASSWORD = "screenshots master password"
# Quick retries are refused for 1 s; the third failure in a row blocks for 15 minutes.
SETTINGS = {"GATEHOUSE_BCRYPT_ROUNDS": "4", "GATEHOUSE_LOGIN_BACKOFF": "1", "GATEHOUSE_LOGIN_BAN": "3/900"}
# (name, path) of simple GET pages that need a signed-in browser.
SIGNED_IN_PAGES = (("home", "/"), ("sessions", "/sessions"), ("activity", "/activity"), ("password", "/password"),
                   ("two-factor", "/two-factor"), ("apps", "/apps"))
# Apps registered before the walk, so /apps shows a list (the plain server runs the OpenID Provider).
APPS = (("Grafana", "https://grafana.example.org/login/generic_oauth", ()),
        ("Immich", "app.immich:///oauth-callback", ("--public",)))
LAN_NAME = "gatehouse.lan"  # resolved to 127.0.0.1 inside Chromium only
DOMAIN = "example.org"  # the forward-auth server's cookie domain, resolved to 127.0.0.1 inside Chromium only
REPLACED_KEY = "another secret key, as after a move without the old one"


def tick(driver, box_id: str) -> None:
    from selenium.webdriver.common.by import By

    box = driver.find_element(By.ID, box_id)
    if not box.is_selected():
        box.click()


def walk(driver, server: Server, camera: Camera) -> None:
    url = server.url
    driver.get(url + "/setup")
    camera.shoot("setup")
    fill(driver, {"code": "not the code", "password": PASSWORD, "confirm": PASSWORD})
    camera.shoot("setup-wrong-code")
    time.sleep(1.2)  # the backoff after a wrong code
    code = (Path(server.env["GATEHOUSE_INSTANCE_DIR"]) / "setup-code").read_text().strip()
    fill(driver, {"code": code, "password": PASSWORD, "confirm": PASSWORD})
    camera.shoot("login-after-setup")
    fill(driver, {"password": PASSWORD})
    camera.shoot("home-after-setup")  # the mistyped setup code is no failed sign-in
    driver.get(url + "/logout")
    fill(driver, {})

    driver.get(url + "/")  # -> /login?next=/
    camera.shoot("login")
    fill(driver, {"password": "a wrong password"})
    camera.shoot("login-wrong-password")
    fill(driver, {"password": "another wrong password"})  # within the 1 s backoff
    camera.shoot("login-429-retry")
    time.sleep(1.5)
    tick(driver, "remember")  # keep me signed in: the sessions and home pages show it
    fill(driver, {"password": PASSWORD})  # from the 429 form, which kept next=/

    for label in ("backup script", "home assistant"):
        requests.post(url + "/api/v1/auth/token", json={"password": PASSWORD, "label": label}, timeout=30)
    for name, path in SIGNED_IN_PAGES:
        driver.get(url + path)
        camera.shoot(name)
    add_app(driver, url, camera)
    driver.get(url + "/password")
    new = "a new password, long enough"
    fill(driver, {"current": "not the current one", "new": new, "confirm": new})
    camera.shoot("password-error")
    time.sleep(1.5)
    driver.get(url + "/logout")
    camera.shoot("logout")
    fill(driver, {})
    camera.shoot("login-signed-out")
    driver.get(url + "/logout")
    camera.shoot("logout-signed-out")
    driver.get(url + "/no/such/page")
    camera.shoot("error-404")

    driver.get(url + "/login")
    driver.delete_all_cookies()  # the form's CSRF secret lives in a cookie: now it is gone
    fill(driver, {"password": PASSWORD})
    camera.shoot("error-csrf")
    for attempt in range(3):
        driver.get(url + "/login?next=/sessions")
        fill(driver, {"password": f"wrong guess {attempt}"})
        time.sleep(1.2)
    fill(driver, {"password": PASSWORD})  # the third failure blocked this address
    camera.shoot("login-429-blocked")
    for _ in range(FLOOD_REFUSALS):  # refused in a flood's numbers: the worker now refuses early
        requests.post(url + "/api/v1/auth/token", json={"password": PASSWORD}, timeout=30)
    driver.get(url + "/login")
    fill(driver, {"password": PASSWORD})
    camera.shoot("error-429-early")


def add_app(driver, url: str, camera: Camera) -> None:
    """/apps: a refused registration, then one that shows its secret once."""
    from selenium.webdriver.common.by import By

    for name, uri, shot in (("Forgejo", "javascript:alert(1)", "apps-error"),
                            ("Forgejo", "https://git.example.org/user/oauth2/gatehouse/callback", "apps-added")):
        driver.get(url + "/apps")
        details = driver.find_element(By.CSS_SELECTOR, "details.add-app")
        if details.get_attribute("open") is None:
            details.find_element(By.TAG_NAME, "summary").click()
        fill(driver, {"name": name, "redirect_uris": uri}, "details.add-app button[type=submit]")
        camera.shoot(shot)


def secure_over_http(driver, server: Server, camera: Camera) -> None:
    """Secure cookies never come back over plain HTTP: the sign-in fails with a hint. (Passkeys
    cannot work there either: the page says why, calmly.)"""
    driver.get(f"http://{LAN_NAME}:{server.port}/login")
    camera.shoot("login-plain-http")
    fill(driver, {"password": PASSWORD})
    camera.shoot("error-secure-cookies-over-http")


def forward_auth_sign_in(driver, server: Server, camera: Camera) -> None:
    """A tool on another host sends the person to sign in: the destination line, the code step,
    a recovery code (many left, then few), and the code page under a replaced secret key."""
    import pyotp
    from app.factory import create_app
    from app.services import two_factor

    portal, tool = f"http://auth.{DOMAIN}:{server.port}", f"http://grafana.{DOMAIN}:{server.port}/d/abc"
    instance = Path(server.env["GATEHOUSE_INSTANCE_DIR"])
    secret = enable_codes_on_instance(instance, time.time(), PASSWORD)
    app = create_app({"GATEHOUSE_INSTANCE_DIR": str(instance), "GATEHOUSE_COOKIE_SECURE": False})
    with app.app_context():
        codes = two_factor.regenerate_recovery_codes(PASSWORD)
    driver.get(f"{portal}/login?rd={tool}")
    camera.shoot("login-destination")
    fill(driver, {"password": PASSWORD})
    camera.shoot("login-code-destination")
    fill(driver, {"code": pyotp.TOTP(secret).at(time.time() + 30)})  # on to the "tool" (a 404 here)
    driver.delete_all_cookies()
    recovery_sign_in(driver, portal, tool, codes[0])  # 9 left
    camera.shoot("recovery-used")
    with app.app_context():
        for code in codes[1:7]:  # 3 left
            two_factor.check_code(code)
    recovery_sign_in(driver, portal, tool, codes[7])  # 2 left: the warning
    camera.shoot("recovery-used-few")
    app.extensions["gatehouse.db"].engine.dispose()
    server.stop()
    server.env["GATEHOUSE_SECRET_KEY"] = REPLACED_KEY  # instead of the generated one: codes cannot be read
    server.start()
    driver.get(f"{portal}/login?rd={tool}")
    fill(driver, {"password": PASSWORD})
    camera.shoot("login-code-unreadable")


def recovery_sign_in(driver, portal: str, tool: str, code: str) -> None:
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(f"{portal}/login?rd={tool}")
    fill(driver, {"password": PASSWORD})
    driver.find_element(By.CSS_SELECTOR, "details.action summary").click()
    fill_recovery(driver, code)


def fill_recovery(driver, code: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "recovery").send_keys(code)
    fill(driver, {}, "details.action button[type=submit]")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    args = parser.parse_args()
    if None in chrome.binaries():
        print("chromium and chromium-driver are needed: apt-get install chromium chromium-driver", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gatehouse-shots-") as tmp:
        tmp = Path(tmp)
        for name in ("plain", "secure", "domain", "factors"):
            (tmp / name).mkdir()
        plain = Server(tmp / "plain" / "instance", **SETTINGS, GATEHOUSE_OIDC="1")
        plain.env["GATEHOUSE_PUBLIC_URL"] = plain.url
        secure = Server(tmp / "secure" / "instance", **SETTINGS, GATEHOUSE_COOKIE_SECURE="1")
        domain = Server(tmp / "domain" / "instance", **SETTINGS, GATEHOUSE_COOKIE_DOMAIN=DOMAIN)
        domain.env["GATEHOUSE_PUBLIC_URL"] = f"http://auth.{DOMAIN}:{domain.port}"
        factors = Server(tmp / "factors" / "instance", **SETTINGS)
        driver = None
        try:
            plain.prepare(None)
            for name, uri, options in APPS:
                gatehouse(plain.env, "oidc", "add", name, "--redirect-uri", uri, *options)
            plain.start()
            secure.prepare(PASSWORD)
            secure.start()
            domain.prepare(PASSWORD)
            domain.start()
            factors.prepare(PASSWORD)
            factors.start()
            driver = chrome.start(tmp, f"--host-resolver-rules=MAP {LAN_NAME} 127.0.0.1, MAP *.{DOMAIN} 127.0.0.1")
            camera = Camera(driver, args.out)
            try:
                walk(driver, plain, camera)
                secure_over_http(driver, secure, camera)
                forward_auth_sign_in(driver, domain, camera)
                walk_factors(driver, factors, camera, PASSWORD)
            except Exception:
                driver.save_screenshot(str(args.out / "FAILED.png"))
                print(driver.current_url, file=sys.stderr)
                raise
        finally:
            if driver is not None:
                driver.quit()
            for server in (plain, secure, domain, factors):
                server.stop()
    print(f"{len(camera.taken)} screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
