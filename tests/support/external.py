"""Tests that need an outside program or service use the real one, or say why they cannot."""

from __future__ import annotations

import os

import pytest


def require_external(reason: str):
    """Skip with `reason` on a laptop; fail instead when CI demands the outside programs."""
    if os.environ.get("GATEHOUSE_REQUIRE_EXTERNAL") == "1":
        pytest.fail(f"required by GATEHOUSE_REQUIRE_EXTERNAL=1 but unavailable: {reason}")
    pytest.skip(reason)
