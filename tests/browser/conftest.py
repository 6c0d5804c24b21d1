"""A real headless Chromium (Debian's chromium + chromium-driver) driven by selenium, and a real gunicorn."""

from __future__ import annotations

import pytest

from tests.support import chrome
from tests.support.external import require_external


def start_chromium(tmp_path, *extra_flags: str):
    """A headless Chromium under chromium-driver; skip (or fail in CI) when they are missing."""
    if None in chrome.binaries():
        require_external("chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)")
    return chrome.start(tmp_path, *extra_flags)


@pytest.fixture
def browser(tmp_path):
    driver = start_chromium(tmp_path)
    yield driver
    driver.quit()
