"""Start Debian's headless Chromium under selenium: for the browser tests and `make screenshots`."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMEDRIVER = ("/usr/bin/chromedriver",)
# No outside network on the test machines: keep Chromium from trying to phone home.
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,860")


def _first(paths) -> str | None:
    return next((p for p in paths if os.access(p, os.X_OK)), None)


def binaries() -> tuple[str | None, str | None]:
    """(chromium, chromedriver), either None when not installed."""
    return _first(CHROMIUM) or shutil.which("chromium"), _first(CHROMEDRIVER) or shutil.which("chromedriver")


def start(profile: Path, *extra_flags: str):
    """A Chrome webdriver with its own profile folder; the browser console is kept for tests."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = binaries()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (*FLAGS, *extra_flags):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile / 'chromium-profile'}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(driver_path, log_output=str(profile / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    return driver


def emulate(driver, width: int, height: int, scheme: str) -> None:
    """Viewport `width`x`height` (a phone's when narrow: the viewport meta applies) and
    prefers-color-scheme `scheme` ("light" or "dark"), through the DevTools protocol."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                           {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
