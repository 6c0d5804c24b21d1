"""Driving Chromium from a test: starting it, screenshots, where the browser is, waiting, submitting."""

from __future__ import annotations

import os
import shutil

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from tests.support import chrome
from tests.support.external import require_external


def start_chromium(tmp_path, *extra_flags: str):
    """A headless Chromium under chromium-driver; skip (or fail in CI) when they are missing."""
    if None in chrome.binaries():
        require_external("chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)")
    return chrome.start(tmp_path, *extra_flags)


def shoot(driver, tmp_path, name: str) -> None:
    """Save a screenshot under the test's folder; GATEHOUSE_SCREENSHOTS=dir keeps a copy to look at."""
    path = tmp_path / f"{name}.png"
    assert driver.save_screenshot(str(path))
    keep = os.environ.get("GATEHOUSE_SCREENSHOTS")
    if keep:
        os.makedirs(keep, exist_ok=True)
        shutil.copy(path, os.path.join(keep, path.name))


def path_of(driver, server) -> str:
    return driver.current_url.removeprefix(server.url)


def wait_for(driver, server, path: str) -> str:
    """Clicks return before the next page has loaded: wait until the browser is at `path`."""
    WebDriverWait(driver, 15).until(lambda d: path_of(d, server) == path and d.execute_script("return document.readyState") == "complete")
    return path_of(driver, server)


def wait_url(driver, predicate) -> str:
    WebDriverWait(driver, 15).until(lambda d: predicate(d.current_url) and d.execute_script("return document.readyState") == "complete")
    return driver.current_url


def submit(driver) -> None:
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 15).until(lambda _driver: gone(old))


def gone(element) -> bool:
    """The page the element was on has been left. Chromium answers a question about a node of a
    page being replaced with "stale" or, mid-navigation, "does not belong to the document"."""
    try:
        element.is_enabled()
    except WebDriverException:  # StaleElementReferenceException is one
        return True
    return False


def csp_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]]
