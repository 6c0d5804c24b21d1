"""The installed Gatehouse version, for `gatehouse --version` and the private metrics listener
(never told on the public address)."""

from __future__ import annotations

from importlib import metadata


def version() -> str:
    try:
        return metadata.version("gatehouse")
    except metadata.PackageNotFoundError:  # a checkout that was never `pip install`ed
        return "unknown"
