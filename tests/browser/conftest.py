"""A real headless Chromium (Debian's chromium + chromium-driver) driven by selenium, and a real gunicorn."""

from __future__ import annotations

import pytest

from tests.support import chrome
from tests.support.external import require_external


@pytest.fixture
def browser(tmp_path):
    if None in chrome.binaries():
        require_external("chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)")
    driver = chrome.start(tmp_path)
    yield driver
    driver.quit()
