"""What `make screenshots` (tools/screenshots.py) shoots with: every size and scheme of the page on
screen, and a form filled and sent the way a person does it."""

from __future__ import annotations

import base64
from pathlib import Path

from tests.support import chrome

SIZES = ((1280, 900), (390, 844))
SCHEMES = ("light", "dark")


class Camera:
    def __init__(self, driver, out: Path) -> None:
        self.driver, self.out, self.taken = driver, out, []

    def shoot(self, name: str) -> None:
        """Every size and scheme of the page on screen: the DOM stays, only the layout changes."""
        for width, height in SIZES:
            for scheme in SCHEMES:
                chrome.emulate(self.driver, width, height, scheme)
                metrics = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
                full = max(height, int(metrics["cssContentSize"]["height"]))
                shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
                    "format": "png", "captureBeyondViewport": True,
                    "clip": {"x": 0, "y": 0, "width": width, "height": full, "scale": 1}})
                path = self.out / f"{name}-{width}-{scheme}.png"
                path.write_bytes(base64.b64decode(shot["data"]))
                self.taken.append(path)
        self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        settle(self.driver)


def settle(driver) -> None:
    """Wait two frames: the layout after a change of viewport is done before the next click."""
    driver.execute_async_script("const done = arguments[arguments.length - 1]; "
                                "requestAnimationFrame(() => requestAnimationFrame(() => done()));")


def fill(driver, values: dict[str, str], button: str = "main form button[type=submit]") -> None:
    """Type into fields by id and press the form's button (the first in the page, or the CSS
    selector `button`); wait for the next page."""
    from selenium.webdriver.common.by import By

    from tests.support.browser_pages import click_to_next_page

    for field_id, text in values.items():
        element = driver.find_element(By.ID, field_id)
        element.clear()
        element.send_keys(text)
    target = driver.find_element(By.CSS_SELECTOR, button)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", target)
    click_to_next_page(driver, target)
