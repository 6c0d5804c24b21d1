"""A real headless Chromium (Debian's chromium + chromium-driver) driven by selenium, and a real gunicorn."""

from __future__ import annotations

import pytest

from tests.support.browser_pages import start_chromium


@pytest.fixture
def browser(tmp_path):
    driver = start_chromium(tmp_path)
    yield driver
    driver.quit()
