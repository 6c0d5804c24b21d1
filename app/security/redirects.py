"""Where a login may send the browser next: only a path on this site."""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_LENGTH = 2048


def safe_next(value: str | None, default: str = "/") -> str:
    """`value` if it is a local path (`/x`, not `//x`, `/\\x`, a scheme or a host), else `default`.

    Control characters and whitespace are refused too: browsers drop tabs and newlines,
    which turns `/\\t/evil.example` into `//evil.example`.
    """
    if not value or len(value) > MAX_LENGTH or not value.startswith("/"):
        return default
    if value.startswith("//") or "\\" in value or any(ch.isspace() or not ch.isprintable() for ch in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value
