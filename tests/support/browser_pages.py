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
    click_to_next_page(driver, driver.find_element(By.CSS_SELECTOR, "button[type=submit]"))


def click_to_next_page(driver, element) -> None:
    """Click `element` and wait until the page it leads to has loaded. The page before is marked
    on its window object, which a new document does not share: asking whether the old page's
    nodes went stale races with the navigation (mid-way, Chromium answers "does not belong to the
    document" while the next page has not loaded yet)."""
    driver.execute_script("window.gatehouseLeft = true")
    element.click()
    WebDriverWait(driver, 15).until(_next_page_loaded)


def _next_page_loaded(driver) -> bool:
    try:
        return driver.execute_script("return window.gatehouseLeft !== true && document.readyState === 'complete'")
    except WebDriverException:  # asked mid-navigation
        return False


def csp_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]]
