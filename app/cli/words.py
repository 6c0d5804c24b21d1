"""Counts in words for the commands' answers: "1 passkey", "2 sessions", never "passkey(s)"."""

from __future__ import annotations


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """`number` and `noun`, the noun in the plural unless the number is exactly one."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
