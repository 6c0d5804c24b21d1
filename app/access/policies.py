"""The four policies a rule can give (docs/access.md), their order of strictness, and `max_age`.

`bypass` < `signed_in` < `two_factor` < `deny`: an ambiguous request is judged by the
strictest policy that could apply to it (app/access/decision.py).
"""

from __future__ import annotations

import re
from datetime import timedelta

BYPASS, SIGNED_IN, TWO_FACTOR, DENY = "bypass", "signed_in", "two_factor", "deny"
POLICIES = (BYPASS, SIGNED_IN, TWO_FACTOR, DENY)  # least strict first
STRICTNESS = {policy: rank for rank, policy in enumerate(POLICIES)}
WITH_MAX_AGE = (SIGNED_IN, TWO_FACTOR)  # the policies a fresh sign-in means something for

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(?:[0-9]{1,6}[smhd])+")
_PART = re.compile(r"([0-9]+)([smhd])")
MAX_AGE_LIMIT = timedelta(days=366)


def parse_duration(text: str) -> timedelta:
    """`"15m"`, `"12h"`, `"1h30m"`, `"90s"`, `"7d"` as a timedelta. :raise ValueError: anything else."""
    if not isinstance(text, str) or not _DURATION.fullmatch(text.strip()):
        raise ValueError(f"max_age must be a duration like \"15m\", \"12h\" or \"1h30m\" (s, m, h, d), not {text!r}")
    seconds = sum(int(number) * _UNITS[unit] for number, unit in _PART.findall(text))
    if seconds <= 0 or seconds > MAX_AGE_LIMIT.total_seconds():
        raise ValueError(f"max_age must be more than 0 and at most 366d, not {text!r}")
    return timedelta(seconds=seconds)


def describe_duration(value: timedelta) -> str:
    """The shortest way to write `value` back in the file's units (for `gatehouse access explain`)."""
    seconds, parts = int(value.total_seconds()), []
    for unit in ("d", "h", "m", "s"):
        count, seconds = divmod(seconds, _UNITS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
